use super::*;

const B: &str = "-------314159265358979323846";

fn header<'p>(part: &'p Part, name: &str) -> &'p str {
    part.header(name).unwrap_or("<absent>")
}

#[test]
fn boundary_from_content_type() {
    assert_eq!(boundary("multipart/mixed; boundary=abc").as_deref(), Some("abc"));
    assert_eq!(boundary("multipart/mixed;boundary=\"a b:c\"").as_deref(), Some("a b:c"));
    assert_eq!(boundary("Multipart/Mixed; charset=utf-8; BOUNDARY=xyz ; other=1").as_deref(), Some("xyz"));
    assert_eq!(boundary("multipart/mixed; x=\"q;boundary=no\"; boundary=yes").as_deref(), Some("yes"));
    assert_eq!(boundary("multipart/mixed; boundary=\"esc\\\"aped\"").as_deref(), None, "a quote is not a bchar");
    assert_eq!(boundary(&format!("multipart/mixed; boundary={B}")).as_deref(), Some(B));
    for bad in [
        "multipart/mixed",
        "multipart/mixed;",
        "multipart/mixed; boundary=",
        "multipart/mixed; boundary=\"open",
        "multipart/mixed; boundary=\"trailing \"",
        "multipart/mixed; boundary=a{b}",
        &format!("m/m; boundary={}", "x".repeat(71)),
    ] {
        assert_eq!(boundary(bad), None, "{bad}");
    }
    assert!(is_multipart_mixed("multipart/mixed; boundary=x"));
    assert!(is_multipart_mixed(" MULTIPART/MIXED "));
    assert!(!is_multipart_mixed("multipart/form-data; boundary=x"));
}

#[test]
fn parses_the_transmission_format() {
    let body = format!(
        "--{B}\r\nContent-Type: application/json\r\n\r\n{{\"a\":1}}\r\n--{B}\r\nContent-Type:text/plain\r\n\
         Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: abc\r\n\r\nhello\r\nworld\r\n--{B}--\r\n"
    );
    let parts = parse(B, body.as_bytes()).expect("valid");
    assert_eq!(parts.len(), 2);
    assert_eq!(header(&parts[0], "Content-Type"), "application/json");
    assert_eq!(parts[0].body, b"{\"a\":1}");
    assert_eq!(
        parts[1].headers,
        vec![
            ("content-type".to_string(), "text/plain".to_string()),
            ("content-transfer-encoding".to_string(), "binary".to_string()),
            ("x-experience-api-hash".to_string(), "abc".to_string()),
        ]
    );
    assert_eq!(parts[1].body, b"hello\r\nworld");
}

#[test]
fn preamble_epilogue_and_padding() {
    let body =
        format!("preamble text\r\n--{B}  \t\r\nX-A: 1\r\n\r\none\r\n--{B}\r\n\r\ntwo\r\n--{B}--  epilogue\r\nmore");
    let parts = parse(B, body.as_bytes()).expect("valid");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].body, b"one");
    assert!(parts[1].headers.is_empty());
    assert_eq!(parts[1].body, b"two");
    // A leading line break before the first boundary, and no line break after the closing one.
    let body = format!("\r\n--{B}\r\nContent-Type:application/json\r\n\r\n{{}}\r\n--{B}--");
    assert_eq!(parse(B, body.as_bytes()).expect("valid")[0].body, b"{}");
}

#[test]
fn bare_line_feeds_and_empty_bodies() {
    let body = format!("--{B}\nA: 1\n\nx\n--{B}\nB: 2\n\n\n--{B}\nC: 3\n\n--{B}--\n");
    let parts = parse(B, body.as_bytes()).expect("valid");
    assert_eq!(parts.iter().map(|p| p.body).collect::<Vec<_>>(), vec![&b"x"[..], b"", b""]);
    assert_eq!(header(&parts[2], "c"), "3");
}

#[test]
fn binary_content_with_near_boundaries() {
    let content: Vec<u8> =
        (0..=255u8).chain(format!("\r\n--{B}x\r\n-{B}\r\n").into_bytes()).chain([0, 13, 10]).collect();
    let body = build(B, &[(vec![("Content-Type".into(), "application/octet-stream".into())], &content[..])]);
    let parts = parse(B, &body).expect("valid");
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].body, &content[..]);
}

#[test]
fn folded_headers_and_limits() {
    let body = format!("--{B}\r\nX-Long: a\r\n b\r\n\r\nc\r\n--{B}--");
    assert_eq!(header(&parse(B, body.as_bytes()).expect("valid")[0], "x-long"), "a b");
    let many: String = (0..65).map(|i| format!("X-{i}: v\r\n")).collect();
    let body = format!("--{B}\r\n{many}\r\nc\r\n--{B}--");
    assert_eq!(parse(B, body.as_bytes()), Err(MultipartError::TooManyHeaders { part: 1 }));
}

#[test]
fn rejects_malformed_bodies() {
    let cases: Vec<(String, MultipartError)> = vec![
        ("no boundary at all".into(), MultipartError::NoBoundary),
        (format!("Content-Type: application/json\r\n\r\n{{}}\r\n-- {B}\r\n"), MultipartError::NoBoundary),
        (format!("--{B}--\r\n"), MultipartError::NoParts),
        (format!("--{B}\r\nContent-Type: a\r\n\r\nbody without end"), MultipartError::Unterminated),
        (format!("--{B}\r\nContent-Type: a\r\n\r\nbody\r\n--{B}"), MultipartError::Unterminated),
        (format!("--{B}\r\nContent-Type: a"), MultipartError::Unterminated),
        (format!("--{B}\r\nno colon here\r\n\r\nx\r\n--{B}--"), MultipartError::MalformedHeader { part: 1 }),
        (format!("--{B}\r\n continuation first\r\n\r\nx\r\n--{B}--"), MultipartError::MalformedHeader { part: 1 }),
        (
            format!("--{B}\r\nA: 1\r\n\r\nx\r\n--{B}\r\nBad Name: 1\r\n\r\ny\r\n--{B}--"),
            MultipartError::MalformedHeader { part: 2 },
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(parse(B, body.as_bytes()), Err(expected), "{body}");
    }
    let not_utf8 = [format!("--{B}\r\nA: ").as_bytes(), &[0xff], format!("\r\n\r\nx\r\n--{B}--").as_bytes()].concat();
    assert_eq!(parse(B, &not_utf8), Err(MultipartError::MalformedHeader { part: 1 }));
    assert_eq!(parse("bad boundary ", b"x"), Err(MultipartError::InvalidBoundary));
    assert_eq!(parse("", b"x"), Err(MultipartError::InvalidBoundary));
}

#[test]
fn the_statements_must_not_be_split_from_a_missing_boundary() {
    // Conformance XAPI-00130: a part without its boundary line becomes part of the previous body.
    let body = format!(
        "--{B}\r\nContent-Type: application/json\r\n\r\n{{}}\r\nContent-Type: text/plain\r\n\r\nhi\r\n--{B}--\r\n"
    );
    let parts = parse(B, body.as_bytes()).expect("valid multipart");
    assert_eq!(parts.len(), 1);
    assert!(serde_json::from_slice::<serde_json::Value>(parts[0].body).is_err());
}

#[test]
fn build_round_trips() {
    let parts: Vec<(Headers, &[u8])> = vec![
        (vec![("Content-Type".into(), "application/json".into())], b"[1]"),
        (vec![("Content-Type".into(), "text/plain".into()), ("X-Experience-API-Hash".into(), "ab".into())], b"a\r\nb"),
        (vec![], b""),
    ];
    let body = build(B, &parts);
    assert!(body.starts_with(format!("--{B}\r\nContent-Type: application/json\r\n\r\n[1]\r\n").as_bytes()));
    assert!(body.ends_with(format!("\r\n--{B}--\r\n").as_bytes()));
    let parsed = parse(B, &body).expect("valid");
    assert_eq!(parsed.len(), 3);
    for (p, (headers, content)) in parsed.iter().zip(&parts) {
        assert_eq!(p.body, *content);
        assert_eq!(p.headers.len(), headers.len());
    }
}

#[test]
fn chosen_boundaries_avoid_the_content() {
    let a = choose_boundary(&[b"hello"]);
    assert!(valid_boundary(&a), "{a}");
    assert_eq!(a, choose_boundary(&[b"hello"]), "deterministic");
    let trap = format!("..{a}..");
    let b = choose_boundary(&[b"hello", trap.as_bytes()]);
    assert!(!trap.contains(&b));
    assert!(valid_boundary(&choose_boundary(&[])));
}

#[test]
fn scanning_is_linear() {
    // Many lines that nearly look like a delimiter: each is tested once, for at most the boundary's length.
    let line = format!("--{}\r\n", &B[..B.len() - 1]);
    let content = line.repeat(200_000);
    let body = build(B, &[(vec![], content.as_bytes())]);
    let started = std::time::Instant::now();
    assert_eq!(parse(B, &body).expect("valid")[0].body.len(), content.len());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
