//! PolicyService: weights and gates in the composite and the bonus,
//! versions that leave past months alone, team overrides and their
//! fallback to the organisation, reading versions back, effective dates
//! and refused rules. (Policies refused inside a closed month: `periods`.)

mod composite;
mod dates;
mod hostile_input;
mod reads;
mod validation;
mod versions;
