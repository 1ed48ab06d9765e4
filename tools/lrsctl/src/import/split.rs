//! Splits an import source into its statements, streaming: NDJSON (one statement per line) or one JSON array,
//! each statement with the line it starts on, so that a rejection can name it. Only the nesting of braces and
//! brackets outside strings is tracked; each statement's own JSON is checked later.

/// What the source holds at one place.
#[derive(Debug, PartialEq, Eq)]
pub enum Item {
    /// The text of one JSON object or array.
    Value { line: u64, text: Vec<u8> },
    /// Something that is not a statement (a bare value, a stray character, an unterminated statement).
    Junk { line: u64, reason: &'static str },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unknown,
    Lines,
    Array,
    ArrayDone,
}

pub struct Splitter {
    mode: Mode,
    line: u64,
    depth: u32,
    in_string: bool,
    escaped: bool,
    current: Vec<u8>,
    current_line: u64,
    /// Skipping a piece of junk until the next separator.
    skipping: bool,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter {
            mode: Mode::Unknown,
            line: 1,
            depth: 0,
            in_string: false,
            escaped: false,
            current: Vec::new(),
            current_line: 0,
            skipping: false,
        }
    }
}

impl Splitter {
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<Item>) {
        for &b in chunk {
            if self.depth > 0 {
                self.inside(b, out);
            } else {
                self.between(b, out);
            }
            if b == b'\n' {
                self.line += 1;
            }
        }
    }

    /// The end of the source: an unterminated statement is junk.
    pub fn finish(&mut self, out: &mut Vec<Item>) {
        if self.depth > 0 {
            out.push(Item::Junk { line: self.current_line, reason: "the statement is not terminated" });
            self.current.clear();
            self.depth = 0;
        }
        if self.mode == Mode::Array {
            out.push(Item::Junk { line: self.line, reason: "the JSON array is not closed" });
        }
    }

    fn inside(&mut self, b: u8, out: &mut Vec<Item>) {
        self.current.push(b);
        if self.in_string {
            match (self.escaped, b) {
                (true, _) => self.escaped = false,
                (false, b'\\') => self.escaped = true,
                (false, b'"') => self.in_string = false,
                _ => {}
            }
            return;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => {
                self.depth -= 1;
                if self.depth == 0 {
                    out.push(Item::Value { line: self.current_line, text: std::mem::take(&mut self.current) });
                }
            }
            _ => {}
        }
    }

    fn between(&mut self, b: u8, out: &mut Vec<Item>) {
        if self.skipping {
            let separator = b == b'\n' || (self.mode == Mode::Array && b == b',');
            if separator {
                self.skipping = false;
            }
            if !(self.mode == Mode::Array && b == b']') {
                return;
            }
            self.skipping = false;
        }
        if b.is_ascii_whitespace() {
            return;
        }
        match (self.mode, b) {
            (Mode::Unknown, b'[') => self.mode = Mode::Array,
            (Mode::Unknown, _) => {
                self.mode = Mode::Lines;
                self.between(b, out);
            }
            (Mode::Array, b',') => {}
            (Mode::Array, b']') => self.mode = Mode::ArrayDone,
            (Mode::Lines | Mode::Array, b'{' | b'[') => {
                self.depth = 1;
                self.current_line = self.line;
                self.current.push(b);
            }
            (Mode::ArrayDone, _) => {
                out.push(Item::Junk { line: self.line, reason: "text after the end of the JSON array" });
                self.skipping = true;
            }
            _ => {
                out.push(Item::Junk { line: self.line, reason: "not a JSON object" });
                self.skipping = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str, chunk: usize) -> Vec<(u64, String)> {
        let mut s = Splitter::default();
        let mut out = Vec::new();
        for c in text.as_bytes().chunks(chunk) {
            s.feed(c, &mut out);
        }
        s.finish(&mut out);
        out.into_iter()
            .map(|i| match i {
                Item::Value { line, text } => (line, String::from_utf8(text).unwrap()),
                Item::Junk { line, reason } => (line, format!("junk: {reason}")),
            })
            .collect()
    }

    #[test]
    fn ndjson_lines() {
        let text = "{\"a\":1}\n\n{\"b\":\"}{\\\"\"}\nnope\n{\"c\":[1,{}]}\n";
        for chunk in [1, 3, 100] {
            assert_eq!(
                split(text, chunk),
                vec![
                    (1, "{\"a\":1}".into()),
                    (3, "{\"b\":\"}{\\\"\"}".into()),
                    (4, "junk: not a JSON object".into()),
                    (5, "{\"c\":[1,{}]}".into()),
                ]
            );
        }
    }

    #[test]
    fn a_pretty_printed_array() {
        let text = "[\n  {\n    \"a\": 1\n  },\n  {\"b\": 2},\n  3\n]\n";
        assert_eq!(
            split(text, 2),
            vec![(2, "{\n    \"a\": 1\n  }".into()), (5, "{\"b\": 2}".into()), (6, "junk: not a JSON object".into()),]
        );
    }

    #[test]
    fn unterminated() {
        assert_eq!(
            split("{\"a\":1}\n{\"b\":", 4),
            vec![(1, "{\"a\":1}".into()), (2, "junk: the statement is not terminated".into())]
        );
        assert_eq!(
            split("[{\"a\":1}", 4),
            vec![(1, "{\"a\":1}".into()), (1, "junk: the JSON array is not closed".into())]
        );
    }
}
