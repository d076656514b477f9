//! Greeting templates: text with `{name}`, `{age}` and `{sender}` placeholders; `{{` and `}}` stand for braces.

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 3] = ["name", "age", "sender"];

/// A checked template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template(Vec<Segment>);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Text(String),
    Placeholder(&'static str),
}

/// The values placed into a template.
pub struct Values<'a> {
    pub name: &'a str,
    /// Empty when the birth year is unknown.
    pub age: Option<i32>,
    pub sender: &'a str,
}

impl Template {
    /// Parses a template, refusing unknown placeholders and unbalanced braces.
    ///
    /// # Errors
    /// A message that says what is wrong, for the client to show next to the field.
    pub fn parse(source: &str) -> Result<Self, String> {
        let mut segments = Vec::new();
        let mut text = String::new();
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) if name.len() < 40 => name.push(c),
                            _ => return Err("has a `{` that is not closed; write `{{` for a literal brace".to_owned()),
                        }
                    }
                    let Some(known) = PLACEHOLDERS.iter().find(|p| **p == name) else {
                        return Err(format!(
                            "uses the unknown placeholder {{{name}}}; use {{name}}, {{age}} or {{sender}}"
                        ));
                    };
                    if !text.is_empty() {
                        segments.push(Segment::Text(std::mem::take(&mut text)));
                    }
                    segments.push(Segment::Placeholder(known));
                }
                '}' => return Err("has a `}` that opens nothing; write `}}` for a literal brace".to_owned()),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            segments.push(Segment::Text(text));
        }
        Ok(Self(segments))
    }

    pub fn render(&self, values: &Values<'_>) -> String {
        self.0
            .iter()
            .map(|segment| match segment {
                Segment::Text(text) => text.clone(),
                Segment::Placeholder("name") => values.name.to_owned(),
                Segment::Placeholder("age") => values.age.map(|a| a.to_string()).unwrap_or_default(),
                Segment::Placeholder(_) => values.sender.to_owned(),
            })
            .collect()
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Plain text as HTML paragraphs: blank lines separate paragraphs, single newlines become `<br>`.
pub fn text_to_html(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", escape_html(p.trim()).replace('\n', "<br>\n")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_braces_escape() {
        let template = Template::parse("Happy {age}th, {name}! {{literally}} — {sender}").unwrap();
        let values = Values {
            name: "Bo",
            age: Some(30),
            sender: "Ann",
        };
        assert_eq!(template.render(&values), "Happy 30th, Bo! {literally} — Ann");
        let no_year = Values { age: None, ..values };
        assert_eq!(Template::parse("{age}").unwrap().render(&no_year), "");
    }

    #[test]
    fn unknown_placeholders_and_stray_braces_are_refused() {
        assert!(Template::parse("Hi {nam}").unwrap_err().contains("{nam}"));
        assert!(Template::parse("Hi {name").is_err());
        assert!(Template::parse("Hi name}").is_err());
        assert!(Template::parse(&format!("{{{}", "x".repeat(100))).is_err());
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            text_to_html("<b>Hi</b> & bye\n\nsecond\nline"),
            "<p>&lt;b&gt;Hi&lt;/b&gt; &amp; bye</p>\n<p>second<br>\nline</p>"
        );
    }
}

/// Properties over arbitrary input: the parser never panics, and what it accepts renders as written.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn values() -> Values<'static> {
        Values {
            name: "Ann",
            age: Some(30),
            sender: "Bo",
        }
    }

    /// A piece of a template and what it renders to with [`values`].
    fn piece() -> impl Strategy<Value = (String, String)> {
        prop_oneof![
            any::<String>().prop_map(|text| (text.replace('{', "{{").replace('}', "}}"), text)),
            Just(("{name}".to_owned(), "Ann".to_owned())),
            Just(("{age}".to_owned(), "30".to_owned())),
            Just(("{sender}".to_owned(), "Bo".to_owned())),
        ]
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(source in any::<String>()) {
            let _ = Template::parse(&source).map(|t| t.render(&values()));
        }

        #[test]
        fn text_with_doubled_braces_renders_as_itself(text in any::<String>()) {
            let escaped = text.replace('{', "{{").replace('}', "}}");
            prop_assert_eq!(Template::parse(&escaped).unwrap().render(&values()), text);
        }

        #[test]
        fn placeholders_render_their_values_among_any_text(pieces in prop::collection::vec(piece(), 0..12)) {
            let source: String = pieces.iter().map(|(s, _)| s.as_str()).collect();
            let expected: String = pieces.iter().map(|(_, r)| r.as_str()).collect();
            prop_assert_eq!(Template::parse(&source).unwrap().render(&values()), expected);
        }

        #[test]
        fn escaped_html_has_no_markup_left(text in any::<String>()) {
            let html = escape_html(&text);
            prop_assert!(!html.contains(['<', '>', '"', '\'']));
            let back = html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
            prop_assert_eq!(back, text);
        }

        #[test]
        fn text_as_html_never_lets_a_tag_through(text in any::<String>()) {
            let html = text_to_html(&text);
            let without_ours = html.replace("<p>", "").replace("</p>", "").replace("<br>", "");
            prop_assert!(!without_ours.contains('<'));
        }
    }
}
