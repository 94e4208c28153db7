//! The README's first example runs as written and prints the line the README quotes (the
//! full 2,000 steps: a few seconds).

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
    assert_eq!(
        stdout.trim_end(),
        quoted,
        "the README quotes another output"
    );
}
