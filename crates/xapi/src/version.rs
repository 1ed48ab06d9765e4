/// The xAPI version whose rules apply to a request, chosen by its `X-Experience-API-Version` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XapiVersion {
    /// 1.0.0 to 1.0.3 requests, validated by the 1.0.3 rules.
    V1_0_3,
    /// 2.0.0 (IEEE 9274.1.1).
    V2_0_0,
}

impl XapiVersion {
    /// Accepts the header values the specification allows: `1.0` and any `1.0.<patch>` (xAPI 1.0.3: "MUST accept
    /// requests with a version header starting with 1.0."), `2.0` and any `2.0.<patch>`; anything else is
    /// rejected by the caller with 400.
    pub fn from_header(value: &str) -> Option<Self> {
        let value = value.trim();
        let patch_of = |minor: &str| -> bool {
            value == minor
                || value
                    .strip_prefix(minor)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
        };
        if patch_of("1.0") {
            Some(XapiVersion::V1_0_3)
        } else if patch_of("2.0") {
            Some(XapiVersion::V2_0_0)
        } else {
            None
        }
    }

    /// The value the LRS echoes in its own `X-Experience-API-Version` response header.
    pub fn header_value(self) -> &'static str {
        match self {
            XapiVersion::V1_0_3 => "1.0.3",
            XapiVersion::V2_0_0 => "2.0.0",
        }
    }

    /// The `version` property written into a stored statement that did not carry one.
    pub fn statement_default(self) -> &'static str {
        match self {
            XapiVersion::V1_0_3 => "1.0.0",
            XapiVersion::V2_0_0 => "2.0.0",
        }
    }
}

/// Every version this LRS speaks, for `GET /xapi/about`.
pub const SUPPORTED: &[&str] = &["1.0.3", "2.0.0"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values() {
        assert_eq!(XapiVersion::from_header("1.0.1"), Some(XapiVersion::V1_0_3));
        assert_eq!(XapiVersion::from_header("2.0.0"), Some(XapiVersion::V2_0_0));
        assert_eq!(XapiVersion::from_header("0.95"), None);
        assert_eq!(XapiVersion::from_header("1.1.0"), None);
        assert_eq!(XapiVersion::from_header(""), None);
        assert_eq!(XapiVersion::from_header("1.0"), Some(XapiVersion::V1_0_3));
        assert_eq!(XapiVersion::from_header("1.0.9"), Some(XapiVersion::V1_0_3));
        assert_eq!(XapiVersion::from_header("2.0"), Some(XapiVersion::V2_0_0));
        assert_eq!(XapiVersion::from_header("2.0.1"), Some(XapiVersion::V2_0_0));
        for bad in ["1.0.", "1.0.x", "1.0.3-beta", "1.00", "10.0.0", "2.1.0", "0.9", "0.8", "BAD", "1", "2.0.0.0"] {
            assert_eq!(XapiVersion::from_header(bad), None, "{bad}");
        }
    }
}
