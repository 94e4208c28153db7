//! A sweep's grid: `--grid name=a,b,c` and `--grid name=1..4` (integers, both ends included:
//! 1, 2, 3, 4), and the points it spans, each a list of `--set name=value` pairs.

use crate::error::Result;
use crate::{bail, err};

/// One `--grid` axis: a param name and the values (as typed, passed on as `--set` strings).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Axis {
    pub name: String,
    pub values: Vec<String>,
}

/// Parses one `--grid NAME=VALUES` argument. VALUES is a comma-separated list, or `A..B`
/// with integers A <= B (inclusive; `A..=B` means the same).
pub fn parse_axis(arg: &str) -> Result<Axis> {
    let (name, values) = arg.split_once('=').ok_or_else(|| {
        err!("--grid {arg}: expected NAME=VALUES, e.g. loss=bce,wgan or seed=1..4")
    })?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("--grid {arg}: '{name}' is not a param name (letters, digits and _)");
    }
    let values = match int_range(values.trim()) {
        Some((a, b)) if a <= b => (a..=b).map(|v| v.to_string()).collect(),
        Some((a, b)) => {
            bail!("--grid {arg}: the range {a}..{b} is empty (write the smaller end first)")
        }
        None => values
            .split(',')
            .map(|v| v.trim().to_string())
            .collect::<Vec<_>>(),
    };
    if let Some(empty) = values.iter().position(String::is_empty) {
        bail!("--grid {arg}: value {} is empty", empty + 1);
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            bail!("--grid {arg}: the value '{v}' appears twice");
        }
    }
    Ok(Axis {
        name: name.to_string(),
        values,
    })
}

/// `A..B` or `A..=B` with integer ends.
fn int_range(s: &str) -> Option<(i64, i64)> {
    let (a, b) = s.split_once("..")?;
    let b = b.strip_prefix('=').unwrap_or(b);
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// Parses every `--grid` argument; a name given twice is refused.
pub fn parse(args: &[String]) -> Result<Vec<Axis>> {
    if args.is_empty() {
        bail!("a sweep needs at least one --grid NAME=VALUES");
    }
    let mut axes: Vec<Axis> = Vec::new();
    for a in args {
        let axis = parse_axis(a)?;
        if axes.iter().any(|x| x.name == axis.name) {
            bail!("--grid {}: '{}' is already a grid axis", a, axis.name);
        }
        axes.push(axis);
    }
    Ok(axes)
}

/// Every combination of the axes' values, the first axis varying slowest; each point is its
/// list of (name, value).
pub fn points(axes: &[Axis]) -> Vec<Vec<(String, String)>> {
    let mut out: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for axis in axes {
        out = out
            .into_iter()
            .flat_map(|p| {
                axis.values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((axis.name.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    out
}

/// A point's folder name: `loss=wgan,seed=2`, with any character other than letters, digits
/// and `.=,_+-` replaced by `_` (and a leading `.` too), so it is one plain path component.
pub fn point_name(point: &[(String, String)]) -> String {
    let raw = point
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".=,_+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with('.') {
        name.replace_range(0..1, "_");
    }
    name
}

/// Folder names for all points: where two names sanitize alike, the later ones get `~2`, `~3`.
pub fn point_names(points: &[Vec<(String, String)>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in points {
        let base = point_name(p);
        let mut name = base.clone();
        let mut n = 1;
        while names.contains(&name) {
            n += 1;
            name = format!("{base}~{n}");
        }
        names.push(name);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_include_both_ends_and_lists_keep_order() {
        assert_eq!(
            parse_axis("seed=1..4").unwrap().values,
            ["1", "2", "3", "4"]
        );
        assert_eq!(parse_axis("seed=2..=3").unwrap().values, ["2", "3"]);
        assert_eq!(
            parse_axis("loss=bce, wgan").unwrap().values,
            ["bce", "wgan"]
        );
        assert_eq!(parse_axis("path=../x").unwrap().values, ["../x"]);
        assert!(parse_axis("seed=4..1").is_err());
        assert!(parse_axis("loss=a,,b").is_err());
        assert!(parse_axis("noequals").is_err());
        assert!(parse(&["a=1".into(), "a=2".into()]).is_err());
    }

    #[test]
    fn points_span_the_product_first_axis_slowest() {
        let axes = parse(&["a=x,y".into(), "b=1..3".into()]).unwrap();
        let pts = points(&axes);
        assert_eq!(pts.len(), 6);
        assert_eq!(point_name(&pts[0]), "a=x,b=1");
        assert_eq!(point_name(&pts[3]), "a=y,b=1");
    }

    #[test]
    fn names_are_plain_path_components() {
        let p = vec![("d".to_string(), "../a b".to_string())];
        assert_eq!(point_name(&p), "d=.._a_b");
        let twins = vec![
            vec![("d".to_string(), "a/b".to_string())],
            vec![("d".to_string(), "a:b".to_string())],
        ];
        assert_eq!(point_names(&twins), ["d=a_b", "d=a_b~2"]);
    }
}
