//! `:help` and completion show what a user types: properties as `.name`, no setters
//! (`set$lr`) or Rhai's print hooks (`to_string`, `to_debug`), every function under a topic.

use ganbook::repl::{Repl, completion};
use ganbook::state::RunState;
use std::collections::BTreeMap;

fn session() -> Repl {
    Repl::new(&RunState::new(BTreeMap::new(), std::env::temp_dir()))
}

#[test]
fn topics_hide_internals_and_show_properties() {
    let s = session();
    let topics = s.docs.topics();
    for internal in ["set$", "get$", "to_string", "to_debug", "index$"] {
        assert!(!topics.contains(internal), "{internal} in:\n{topics}");
    }
    let optim = topics
        .lines()
        .find(|l| l.starts_with("optimizers:"))
        .unwrap();
    assert!(optim.split(' ').any(|w| w == ".lr"), "{optim}");
    assert!(optim.split(' ').any(|w| w == "adam"), "{optim}");
    assert!(
        !topics.lines().any(|l| l.starts_with("other:")),
        "every function has a topic:\n{topics}"
    );
}

#[test]
fn help_on_a_property_with_or_without_the_dot() {
    let s = session();
    let with_dot = s.docs.help(".lr").unwrap();
    assert!(with_dot.contains("optimizer.lr -> float"), "{with_dot}");
    assert!(with_dot.contains("optimizer.lr = value"), "{with_dot}");
    assert_eq!(s.docs.help("lr"), Some(with_dot));
}

#[test]
fn completion_lists_every_method_of_the_type_and_no_internals() {
    let mut s = session();
    assert!(s.eval("input", "let o = adam(sequential([linear(2, 2)]));", false));
    let vars = s.vars.lock().unwrap().clone();
    let (start, list) = completion::complete("o.", &s.docs, &vars);
    assert_eq!(start, 2);
    assert!(list.contains(&"lr".to_string()), "{list:?}");
    assert!(list.contains(&"step".to_string()), "{list:?}");
    assert!(
        list.iter().all(|c| !c.contains('$') && c != "to_string"),
        "{list:?}"
    );
    let (_, words) = completion::complete("se", &s.docs, &vars);
    assert!(words.contains(&"sequential".to_string()), "{words:?}");
    assert!(words.iter().all(|c| !c.contains('$')), "{words:?}");
}
