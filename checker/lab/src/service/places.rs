//! The geolocation part: place names to coordinates, from a bundled table (no network).

use super::{AppError, Coordinates};

#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The name as the table spells it, e.g. `Paris`.
    pub name: &'static str,
    pub country: &'static str,
    pub coordinates: Coordinates,
}

/// The bundled table of known places, looked up case-insensitively.
#[derive(Debug, Clone)]
pub struct Places {
    places: Vec<Place>,
}

const TABLE: &[(&str, &str, f64, f64)] = &[
    ("Paris", "FR", 48.8566, 2.3522),
    ("Tokyo", "JP", 35.6762, 139.6503),
    ("Nairobi", "KE", -1.2921, 36.8219),
    ("Lima", "PE", -12.0464, -77.0428),
    ("Houston", "US", 29.7604, -95.3698),
    ("Baikonur", "KZ", 45.9646, 63.3052),
    ("Sydney", "AU", -33.8688, 151.2093),
    ("Reykjavik", "IS", 64.1466, -21.9426),
    ("Kourou", "GF", 5.1597, -52.6503),
    ("Bengaluru", "IN", 12.9716, 77.5946),
];

impl Places {
    pub fn bundled() -> Self {
        let places = TABLE
            .iter()
            .map(|&(name, country, latitude, longitude)| Place {
                name,
                country,
                coordinates: Coordinates { latitude, longitude },
            })
            .collect();
        Self { places }
    }

    pub fn get(&self, name: &str) -> Option<&Place> {
        self.places.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Like [`Places::get`], with the 404 error a handler can return with `?`.
    ///
    /// Under the checker, the harness notes when the lookup ran and which span was current
    /// (a handler's span must be current while its work runs).
    pub fn find(&self, name: &str) -> Result<&Place, AppError> {
        let lookup = super::marks::begin(super::marks::Moment::Lookup);
        let found = self.get(name).ok_or_else(|| AppError::UnknownPlace(name.to_string()));
        if let Some(lookup) = lookup {
            lookup.returned();
        }
        found
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.places.iter().map(|p| p.name).collect()
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive_and_unknown_is_404() {
        let places = Places::bundled();
        assert_eq!(places.find("paris").unwrap().name, "Paris");
        let err = places.find("atlantis").unwrap_err();
        assert_eq!(err.status(), axum::http::StatusCode::NOT_FOUND);
        assert_eq!(err.to_string(), "unknown place `atlantis`");
    }
}
