//! The service's fixed parts: everything that is not telemetry.
//!
//! The ISS distance service answers `GET /distance/{place}` with how far the International
//! Space Station is from a place. It looks the place up in a bundled table ([`places`]),
//! asks the position service where the ISS is ([`position`]), and computes the
//! great-circle distance ([`distance_km`]). Everything is offline and deterministic under
//! the checker: the table is bundled and the orbit is injected.
//!
//! Errors exist on purpose so that status, exceptions and error counters have something to
//! show: an unknown place is a 404, an unreachable position service a 502 ([`AppError`]).

mod error;
pub mod faults;
pub mod marks;
pub mod places;
pub mod position;
pub mod query;

pub use error::AppError;
pub use places::{Place, Places};
pub use position::{Orbit, Position, PositionClient, PositionError};

use serde::Serialize;

/// A point on Earth, in degrees: where a [`Place`] is, and where the ISS is
/// ([`Position::coordinates`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Coordinates {
    /// Degrees north (negative: south), -90 to 90.
    pub latitude: f64,
    /// Degrees east (negative: west), -180 to 180.
    pub longitude: f64,
}

/// Mean Earth radius in kilometres (IUGG).
const EARTH_RADIUS_KM: f64 = 6371.0;

/// Great-circle distance between two points (haversine), rounded to 0.1 km so that the
/// number in attributes and replies reads well and is identical on every platform.
pub fn distance_km(from: Coordinates, to: Coordinates) -> f64 {
    let (lat1, lat2) = (from.latitude.to_radians(), to.latitude.to_radians());
    let d_lat = lat2 - lat1;
    let d_lon = (to.longitude - from.longitude).to_radians();
    let a = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
    let km = 2.0 * EARTH_RADIUS_KM * a.sqrt().asin();
    (km * 10.0).round() / 10.0
}

/// The reply of `GET /distance/{place}`, sent as JSON with these field names.
#[derive(Debug, Clone, Serialize)]
pub struct DistanceReply {
    /// The place's name as the table spells it ([`Place::name`]).
    pub place: String,
    /// Where the place is ([`Place::coordinates`]).
    pub place_coordinates: Coordinates,
    /// Where the ISS is ([`Position::coordinates`]).
    pub iss: Coordinates,
    /// The great-circle distance between the two, from [`distance_km`].
    pub distance_km: f64,
}

impl DistanceReply {
    /// The reply for `place`, with the ISS at `iss` and the distance already computed.
    pub fn new(place: &Place, iss: Position, distance_km: f64) -> Self {
        Self { place: place.name.to_string(), place_coordinates: place.coordinates, iss: iss.coordinates, distance_km }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paris_to_tokyo_is_about_9700_km() {
        let paris = Coordinates { latitude: 48.8566, longitude: 2.3522 };
        let tokyo = Coordinates { latitude: 35.6762, longitude: 139.6503 };
        let km = distance_km(paris, tokyo);
        assert!((9700.0..9730.0).contains(&km), "{km}");
        assert_eq!(distance_km(paris, paris), 0.0);
    }
}
