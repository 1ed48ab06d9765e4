/// The xAPI version whose rules apply to a request, chosen by its `X-Experience-API-Version` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XapiVersion {
    /// 1.0.0 to 1.0.3 requests, validated by the 1.0.3 rules.
    V1_0_3,
    /// 2.0.0 (IEEE 9274.1.1).
    V2_0_0,
}

impl XapiVersion {
    /// Accepts the header values the specification allows; anything else is rejected by the caller with 400.
    pub fn from_header(value: &str) -> Option<Self> {
        match value.trim() {
            "1.0" | "1.0.0" | "1.0.1" | "1.0.2" | "1.0.3" => Some(XapiVersion::V1_0_3),
            "2.0" | "2.0.0" => Some(XapiVersion::V2_0_0),
            _ => None,
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
    }
}
