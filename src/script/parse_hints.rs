//! Hints for syntax errors that come from writing PyTorch in a script: keyword arguments
//! (`z.sum(dim=1)`, `conv2d(1, 64, 4, stride=2)`), several indices in one bracket
//! (`t[0, 1]`) and Python slices (`t[1:3]`, `t[:, 0]`). Rhai's own message says only
//! which token it expected; the hint says what to write.

use rhai::ParseError;

/// Keyword arguments that become positional arguments in ganbook (the rest go in a map).
const POSITIONAL: &[&str] = &[
    "dim",
    "dim0",
    "dim1",
    "keepdim",
    "start_dim",
    "end_dim",
    "index",
];

/// A hint line for a syntax error in `source`, when the text at the error looks like a
/// PyTorch habit.
pub fn hint(source: &str, e: &ParseError) -> Option<String> {
    let pos = e.position();
    let at = offset(source, pos.line()?, pos.position()?)?;
    let s: Vec<char> = source.chars().collect();
    match *s.get(at)? {
        '=' if s.get(at + 1) != Some(&'=') => keyword_hint(&s, at),
        ',' | ':' => index_hint(&s, at),
        _ => None,
    }
}

/// The char offset of a 1-based line and column.
fn offset(source: &str, line: usize, col: usize) -> Option<usize> {
    let mut start = 0;
    for (i, l) in source.split('\n').enumerate() {
        let n = l.chars().count();
        if i + 1 == line {
            return (col >= 1 && col <= n).then_some(start + col - 1);
        }
        start += n + 1;
    }
    None
}

/// The offset of the bracket `open` that encloses `at` (nesting skipped), if any.
fn enclosing(s: &[char], at: usize, open: char) -> Option<usize> {
    let mut depth = 0i32;
    for i in (0..at).rev() {
        match s[i] {
            ')' | ']' | '}' => depth += 1,
            '(' | '[' | '{' if depth > 0 => depth -= 1,
            c if c == open => return Some(i),
            '(' | '[' | '{' | ';' => return None,
            _ => {}
        }
    }
    None
}

/// The offset of the bracket closing the one at `open`, if the text has it.
fn closing(s: &[char], open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, &c) in s.iter().enumerate().skip(open) {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            ';' => return None,
            _ => {}
        }
    }
    None
}

/// The name (with a `receiver.` before it) that ends just before `end`, e.g. `z.sum`.
fn callee(s: &[char], end: usize) -> String {
    let mut i = end;
    while i > 0 && (s[i - 1].is_alphanumeric() || s[i - 1] == '_' || s[i - 1] == '.') {
        i -= 1;
    }
    s[i..end].iter().collect()
}

/// The top-level comma-separated parts of `s[from..to]`, trimmed.
fn parts(s: &[char], from: usize, to: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0i32;
    for &c in &s[from..to] {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(String::new());
                continue;
            }
            _ => {}
        }
        out.last_mut().expect("one part at least").push(c);
    }
    out.into_iter().map(|p| p.trim().to_string()).collect()
}

/// Python's spellings of values in Rhai: True, False, None.
fn rhai_value(v: &str) -> String {
    match v {
        "True" => "true".into(),
        "False" => "false".into(),
        "None" => "()".into(),
        _ => v.into(),
    }
}

fn keyword_hint(s: &[char], at: usize) -> Option<String> {
    let open = enclosing(s, at, '(')?;
    let name = callee(s, open);
    if name.is_empty() {
        return None;
    }
    let general = "Rhai has no keyword arguments (name=value)";
    let Some(close) = closing(s, open) else {
        return Some(format!(
            "hint: {general}: give {name}'s arguments by position, options in a map #{{...}}"
        ));
    };
    let mut positional = Vec::new();
    let mut options = Vec::new();
    for p in parts(s, open + 1, close) {
        match p.split_once('=') {
            Some((k, v)) if is_name(k.trim()) && !v.starts_with('=') => {
                let (k, v) = (k.trim(), rhai_value(v.trim()));
                if POSITIONAL.contains(&k) {
                    positional.push(v);
                } else {
                    options.push(format!("{k}: {v}"));
                }
            }
            _ => positional.push(p),
        }
    }
    // PyTorch's positional options of a layer, `conv2d(1, 64, 4, 2, 1, bias=False)`
    let short = name.rsplit('.').next().unwrap_or(&name);
    if let Some(sig) = super::positional_options::signature(short)
        && positional.len() > sig.leading
    {
        let named = positional
            .split_off(sig.leading)
            .into_iter()
            .zip(sig.options);
        let named: Vec<String> = named.map(|(v, (k, ..))| format!("{k}: {v}")).collect();
        options.splice(0..0, named);
    }
    let how = if options.is_empty() {
        "give it by position"
    } else {
        positional.push(format!("#{{{}}}", options.join(", ")));
        "options go in a map #{...}"
    };
    Some(format!(
        "hint: {general}; {how}: did you mean {name}({})?",
        positional.join(", ")
    ))
}

fn is_name(k: &str) -> bool {
    k.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn index_hint(s: &[char], at: usize) -> Option<String> {
    let open = enclosing(s, at, '[')?;
    let target = callee(s, open);
    if target.is_empty() {
        return None; // an array literal, not an index
    }
    let general = "ganbook indexes one dim at a time: t[i] and t[a..b] (dim 0), t.select(dim, i), t.slice(dim, a, b)";
    let Some(close) = closing(s, open) else {
        return Some(format!("hint: {general}"));
    };
    let mut out = target.clone();
    let mut dim = 0usize;
    for p in parts(s, open + 1, close) {
        match p.split_once(':') {
            None if p.is_empty() => return Some(format!("hint: {general}")),
            None if dim == 0 => out += &format!("[{p}]"),
            None => out += &format!(".select({dim}, {p})"),
            Some((a, b)) => {
                let (a, b) = (a.trim(), b.trim());
                if b.contains(':') {
                    return Some(format!("hint: {general} (no steps)"));
                }
                let a = if a.is_empty() { "0" } else { a };
                let b = if b.is_empty() {
                    format!("{target}.size({dim})")
                } else {
                    b.to_string()
                };
                match (a, b.as_str()) {
                    ("0", _) if b == format!("{target}.size({dim})") => {}
                    _ if dim == 0 => out += &format!("[{a}..{b}]"),
                    _ => out += &format!(".slice({dim}, {a}, {b})"),
                }
                dim += 1;
            }
        }
    }
    Some(format!("hint: {general}: did you mean {out}?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint_for(src: &str) -> Option<String> {
        let e = rhai::Engine::new()
            .compile(src)
            .expect_err("a syntax error");
        hint(src, &e)
    }

    #[test]
    fn keyword_arguments_become_positions_or_a_map() {
        let h = hint_for("let s = z.sum(dim=1);").unwrap();
        assert!(h.ends_with("did you mean z.sum(1)?"), "{h}");
        let h = hint_for("let s = z.sum(1, keepdim=True);").unwrap();
        assert!(h.ends_with("did you mean z.sum(1, true)?"), "{h}");
        let h = hint_for("let c = conv2d(1, 64, 4, stride=2, padding=1);").unwrap();
        assert!(
            h.ends_with("did you mean conv2d(1, 64, 4, #{stride: 2, padding: 1})?"),
            "{h}"
        );
        let h = hint_for("let c = conv_transpose2d(100, 512, 4, 1, 0, bias=False);").unwrap();
        assert!(
            h.ends_with("conv_transpose2d(100, 512, 4, #{stride: 1, padding: 0, bias: false})?"),
            "{h}"
        );
    }

    #[test]
    fn python_indices_become_ganbook_indexing() {
        let h = hint_for("let a = t[0, 1];").unwrap();
        assert!(h.ends_with("did you mean t[0][1]?"), "{h}");
        let h = hint_for("let a = t[1:3];").unwrap();
        assert!(h.ends_with("did you mean t[1..3]?"), "{h}");
        let h = hint_for("let a = t[:, 0];").unwrap();
        assert!(h.ends_with("did you mean t.select(1, 0)?"), "{h}");
        let h = hint_for("let a = x[:, 2:5];").unwrap();
        assert!(h.ends_with("did you mean x.slice(1, 2, 5)?"), "{h}");
    }

    #[test]
    fn other_syntax_errors_get_no_hint() {
        assert_eq!(hint_for("let a = [1, 2;"), None);
        assert_eq!(hint_for("let = 3;"), None);
    }
}
