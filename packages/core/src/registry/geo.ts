import { SwarmError } from "@swarmlink/protocol";
import type { Point } from "../types.js";

/** Where the site frame's (0, 0) is on the WGS 84 ellipsoid, in degrees. */
export interface GeoOrigin {
  lat: number;
  lon: number;
}

/** Mean Earth radius (IUGG), in metres. */
export const EARTH_RADIUS_M = 6_371_008.8;

const RAD = Math.PI / 180;

/**
 * Projects a WGS 84 point to metres east (x) and north (y) of `origin`, equirectangularly: exact
 * enough (well under 1% error) within tens of kilometres of the origin, which is what a site is.
 * Longitude differences wrap, so a site across the antimeridian works. Altitude becomes z.
 *
 * @example
 * ```ts
 * projectGeo({ lat: 52.0001, lon: 4.0 }, { lat: 52, lon: 4 }); // { x: 0, y: ≈11.1, z: 0 }
 * ```
 */
export function projectGeo(p: { lat: number; lon: number; alt?: number }, origin: GeoOrigin): Point {
  let dLon = p.lon - origin.lon;
  if (dLon > 180) dLon -= 360;
  else if (dLon < -180) dLon += 360;
  return {
    x: EARTH_RADIUS_M * dLon * RAD * Math.cos(origin.lat * RAD),
    y: EARTH_RADIUS_M * (p.lat - origin.lat) * RAD,
    z: p.alt ?? 0,
  };
}

/** Checks an origin option. @throws SwarmError `E_CONFIG` (field `geoOrigin`). */
export function parseGeoOrigin(origin: GeoOrigin): GeoOrigin {
  const ok =
    typeof origin === "object" &&
    origin !== null &&
    Number.isFinite(origin.lat) &&
    Number.isFinite(origin.lon) &&
    Math.abs(origin.lat) < 90 &&
    Math.abs(origin.lon) <= 180;
  if (!ok) {
    throw new SwarmError("E_CONFIG", "geoOrigin must be { lat in (-90, 90), lon in [-180, 180] }", {
      field: "geoOrigin",
    });
  }
  return { lat: origin.lat, lon: origin.lon };
}
