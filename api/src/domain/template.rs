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
