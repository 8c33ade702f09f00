//! The class columns of the ICESat-2 products and the names of their classes: what the legend lists when a layer
//! is coloured by one, each class in its own colour, with its count, and hidden by a click.

use floe_render::colormap::Classes;

/// `signal_conf_ph` (ATL03): confidence that a photon is signal, per surface type.
const SIGNAL_CONF_PH: &[(i32, &str)] =
    &[(-2, "TEP"), (-1, "not considered"), (0, "noise"), (1, "buffer"), (2, "low"), (3, "medium"), (4, "high")];
/// ATL08's photon classes (`classed_pc_flag`; the scene's `atl08_class`).
const ATL08_CLASS: &[(i32, &str)] = &[(0, "noise"), (1, "ground"), (2, "canopy"), (3, "top of canopy")];
/// `quality_ph` (ATL03).
const QUALITY_PH: &[(i32, &str)] =
    &[(0, "nominal"), (1, "possible afterpulse"), (2, "possible impulse response"), (3, "possible TEP")];

/// The classes of a column Floe knows, lowest first.
pub fn class_names(column: &str) -> Option<&'static [(i32, &'static str)]> {
    match column {
        "signal_conf_ph" => Some(SIGNAL_CONF_PH),
        "atl08_class" | "classed_pc_flag" => Some(ATL08_CLASS),
        "quality_ph" => Some(QUALITY_PH),
        _ => None,
    }
}

/// The categorical table of a known class column, nothing hidden.
pub fn classes_of(column: &str) -> Option<Classes> {
    let names = class_names(column)?;
    let first = names.first()?.0;
    let last = names.last()?.0;
    Some(Classes { first, count: u8::try_from(last - first + 1).ok()?, hidden: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_columns_have_their_classes() {
        assert_eq!(classes_of("signal_conf_ph"), Some(Classes { first: -2, count: 7, hidden: 0 }));
        assert_eq!(classes_of("atl08_class"), Some(Classes { first: 0, count: 4, hidden: 0 }));
        assert_eq!(class_names("quality_ph").map(|n| n[1]), Some((1, "possible afterpulse")));
        assert_eq!(classes_of("h_ph"), None);
    }
}
