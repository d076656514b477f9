//! Fuzzes the greeting template parser and renderer with any source text and any values.
//!
//! Beyond "never panics": a template without braces renders as itself; any rendered text, with its braces doubled,
//! is a template that renders back to that text; and the HTML made from it holds no markup but the paragraphs and
//! line breaks the converter adds.
#![no_main]

use api::domain::template::{Template, Values, text_to_html};
use libfuzzer_sys::{arbitrary, fuzz_target};

#[derive(arbitrary::Arbitrary, Debug)]
struct Input<'a> {
    source: &'a str,
    name: &'a str,
    age: Option<i32>,
    sender: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    let Ok(template) = Template::parse(input.source) else {
        return;
    };
    let values = Values {
        name: input.name,
        age: input.age,
        sender: input.sender,
    };
    let rendered = template.render(&values);
    if !input.source.contains(['{', '}']) {
        assert_eq!(rendered, input.source);
    }

    let literal = rendered.replace('{', "{{").replace('}', "}}");
    let reparsed = Template::parse(&literal).expect("doubled braces always parse");
    assert_eq!(reparsed.render(&values), rendered);

    let html = text_to_html(&rendered);
    let without_our_tags = html.replace("<p>", "").replace("</p>", "").replace("<br>", "");
    assert!(!without_our_tags.contains(['<', '>', '"', '\'']), "markup left in {html:?}");
});
