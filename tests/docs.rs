//! Every script function carries a doc text (the REPL's `:help` shows it).

#[test]
fn every_script_function_is_documented() {
    let (engine, _) = ganbook::script::bare_engine();
    let json = engine.gen_fn_metadata_to_json(false).expect("metadata");
    let meta: serde_json::Value = serde_json::from_str(&json).unwrap();
    let functions = meta["functions"].as_array().expect("functions listed");
    assert!(
        functions.len() > 100,
        "only {} functions registered",
        functions.len()
    );
    let undocumented: Vec<String> = functions
        .iter()
        .filter(|f| f["docComments"].as_array().is_none_or(|d| d.is_empty()))
        .map(|f| f["signature"].as_str().unwrap_or("?").to_string())
        .collect();
    assert!(undocumented.is_empty(), "undocumented: {undocumented:#?}");
}
