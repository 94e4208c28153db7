//! The README's first example runs as written and prints the line the README quotes (the
//! full 2,000 steps: a few seconds), up to the percentage's CPU-to-CPU wobble.

mod common;

#[test]
fn readme_first_example_prints_what_the_readme_says() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("```rhai\n").expect("a rhai example") + "```rhai\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let example = &readme[start..end];
    let after = &readme[end..];
    let quoted = after
        .find("It prints `")
        .and_then(|i| after[i..].split('`').nth(1))
        .expect("the README quotes the example's output after it");
    let (o, run, _) = common::run_script("readme", example, &[]);
    let stdout = common::text(&o.stdout);
    assert_eq!(run["status"], "ok", "{}", common::text(&o.stderr));
    // "M of 8 modes covered, P% of samples on a mode": M exactly, P within 2 points (it
    // differs between CPUs, as the README says)
    let parse = |line: &str| -> (String, f64) {
        let (modes, rest) = line.split_once(" of 8 modes covered, ").expect(line);
        let pct = rest.split_once('%').expect(line).0.parse().expect(line);
        (modes.to_string(), pct)
    };
    let (got, want) = (parse(stdout.trim_end()), parse(quoted));
    assert!(
        got.0 == want.0 && (got.1 - want.1).abs() <= 2.0,
        "the README quotes another output: {quoted:?}, the example printed {:?}",
        stdout.trim_end()
    );
}
