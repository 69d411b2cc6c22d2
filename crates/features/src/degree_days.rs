//! Heating and cooling degrees of a temperature, at fixed bases.
//!
//! ```
//! use vader_features::degree_days::degree_days;
//!
//! assert_eq!(degree_days(5.0), [10.0, 0.0]);
//! assert_eq!(degree_days(25.0), [0.0, 3.0]);
//! // An unknown temperature gives unknown degrees, not a mild day.
//! assert!(degree_days(f64::NAN).iter().all(|d| d.is_nan()));
//! ```

/// Heating degree-day base, °C.
pub const HDD_BASE_C: f64 = 15.0;
/// Cooling degree-day base, °C.
pub const CDD_BASE_C: f64 = 22.0;

/// Heating and cooling degrees of a mean temperature: `[(15 − t)⁺, (t − 22)⁺]`; NaN for
/// both when the temperature is unknown.
pub fn degree_days(temp_c: f64) -> [f64; 2] {
    if temp_c.is_nan() {
        return [f64::NAN; 2];
    }
    [(HDD_BASE_C - temp_c).max(0.0), (temp_c - CDD_BASE_C).max(0.0)]
}
