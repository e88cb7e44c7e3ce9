//! Reply codes: the three digits that drive every FTP automaton.
//!
//! [`ReplyCode`] holds any well-formed code, named or not: three ASCII digits
//! whose first digit is `1`..=`6` (RFC 959 §4.2 defines `1`..=`5`, RFC 2228
//! §5.2 adds `6` for protected replies). The second and third digits may be
//! any digit: RFC 959 gives meaning to second digits `0`..=`5`, and codes with
//! a second digit `6`..=`9` are still representable (their category is
//! [`ReplyCategory::Other`]). A code that is not three ASCII digits, or whose
//! first digit is `0`, `7`, `8` or `9`, is malformed ([`ReplyCodeError`]).
//!
//! Unknown but well-formed codes (`299`, `430`, ...) are interpreted by their
//! first digit, as RFC 1123 §4.1.2.11 asks: see [`ReplyCode::class`].
//!
//! Named constants cover every code of RFC 959, RFC 1123, RFC 1639, RFC 2228,
//! RFC 2389, RFC 2428, RFC 3659, RFC 4217 and RFC 7151, plus three codes seen
//! in the wild that no RFC defines (`251`, `430`, `434`); [`ReplyCode::is_rfc`]
//! tells them apart. Servers should not emit the non-RFC ones.

use core::fmt;
use core::str::FromStr;

/// A well-formed FTP reply code (`100`..=`699`).
///
/// `Copy`, two bytes. Construct with [`ReplyCode::new`], [`ReplyCode::parse`]
/// or use a named constant such as [`ReplyCode::COMMAND_OK`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(u16);

/// Why a value or byte string is not a well-formed reply code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyCodeError {
    /// The input is not exactly three ASCII digits.
    #[error("a reply code is exactly three ASCII digits")]
    NotThreeDigits,
    /// The value is outside `100..=699` (first digit `0` or `7`..=`9`).
    #[error("reply code {0} is outside 100..=699")]
    OutOfRange(u16),
}

/// The first digit of a reply code: what happened and what the client does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplyClass {
    /// `1yz`: the action started; another reply follows for this command.
    Preliminary,
    /// `2yz`: the action completed; the next command may be sent.
    Completion,
    /// `3yz`: accepted; send the next command of the group (PASS, ACCT, RNTO...).
    Intermediate,
    /// `4yz`: not done, but the same command may succeed later.
    TransientNegative,
    /// `5yz`: not done; do not repeat the command unchanged.
    PermanentNegative,
    /// `6yz`: a protected reply whose text is a base64 wrapped reply (RFC 2228 §5.2).
    Protected,
}

/// The second digit of a reply code: which area the reply is about (RFC 959 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplyCategory {
    /// `x0z`: syntax errors, unimplemented or superfluous commands.
    Syntax,
    /// `x1z`: replies to requests for information (status, help).
    Information,
    /// `x2z`: the control and data connections.
    Connections,
    /// `x3z`: login, accounting and security (RFC 2228).
    Authentication,
    /// `x4z`: unspecified by RFC 959.
    Unspecified,
    /// `x5z`: the file system.
    FileSystem,
    /// `x6z`..=`x9z`: no RFC meaning.
    Other,
}

/// Declares the named codes once: constants, the [`ReplyCode::ALL_NAMED`]
/// table, default texts and the RFC/non-RFC flag all come from this list.
macro_rules! named_codes {
    ($( $(#[$doc:meta])* $name:ident = $value:literal, $rfc:literal, $text:literal; )*) => {
        impl ReplyCode {
            $( $(#[$doc])* pub const $name: Self = Self::known($value); )*

            /// Every named constant with its name, in ascending code order.
            pub const ALL_NAMED: &'static [(ReplyCode, &'static str)] = &[
                $( (Self::$name, stringify!($name)), )*
            ];

            /// The name of this code's constant (`"COMMAND_OK"` for 200), if it has one.
            #[must_use]
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some(stringify!($name)), )*
                    _ => None,
                }
            }

            /// Whether an RFC defines this code. `false` for the named non-RFC
            /// codes (251, 430, 434) and for every unnamed code.
            #[must_use]
            pub const fn is_rfc(self) -> bool {
                match self.0 {
                    $( $value => $rfc, )*
                    _ => false,
                }
            }

            /// Our own wording for this code, used when a server has nothing
            /// more specific to say. Unnamed codes get a text of their class.
            #[must_use]
            pub const fn default_text(self) -> &'static str {
                match self.0 {
                    $( $value => $text, )*
                    _ => self.class().default_text(),
                }
            }
        }
    };
}

named_codes! {
    // --- 1yz positive preliminary ---
    /// 110: restart marker; the text is exactly `MARK yyyy = mmmm` (RFC 959 §4.2.1, RFC 1123 §4.1.3.4).
    RESTART_MARKER = 110, true, "MARK 0 = 0";
    /// 120: service ready in some minutes; a 220 follows (RFC 959).
    SERVICE_READY_IN = 120, true, "Service not ready yet, please wait.";
    /// 125: data connection already open; transfer starting (RFC 959).
    DATA_ALREADY_OPEN = 125, true, "Data connection already open, transfer starting.";
    /// 150: file status okay; about to open the data connection (RFC 959).
    FILE_STATUS_OK = 150, true, "Opening data connection.";
    // --- 2yz positive completion ---
    /// 200: command okay (RFC 959).
    COMMAND_OK = 200, true, "Command okay.";
    /// 202: command not implemented, superfluous at this site (RFC 959; ALLO).
    SUPERFLUOUS = 202, true, "Command superfluous here.";
    /// 211: system status or help; also the FEAT reply (RFC 959, RFC 2389).
    SYSTEM_STATUS = 211, true, "Status.";
    /// 212: directory status (RFC 959).
    DIRECTORY_STATUS = 212, true, "Directory status.";
    /// 213: file status; SIZE, MDTM, MFMT results (RFC 959, RFC 3659).
    FILE_STATUS = 213, true, "File status.";
    /// 214: help message (RFC 959).
    HELP_MESSAGE = 214, true, "Help.";
    /// 215: `NAME system type` (RFC 959; SYST).
    SYSTEM_TYPE = 215, true, "UNIX Type: L8";
    /// 220: service ready for a new user; also HOST accepted (RFC 959, RFC 7151).
    SERVICE_READY = 220, true, "Service ready.";
    /// 221: closing the control connection (RFC 959; QUIT).
    CLOSING_CONTROL = 221, true, "Goodbye.";
    /// 225: data connection open; no transfer in progress (RFC 959; ABOR).
    DATA_OPEN_NO_TRANSFER = 225, true, "Data connection open, no transfer in progress.";
    /// 226: closing the data connection; file action or abort successful (RFC 959).
    CLOSING_DATA = 226, true, "Transfer complete.";
    /// 227: entering passive mode `(h1,h2,h3,h4,p1,p2)` (RFC 959).
    ENTERING_PASSIVE = 227, true, "Entering Passive Mode.";
    /// 228: entering long passive mode (RFC 1639; LPSV).
    ENTERING_LONG_PASSIVE = 228, true, "Entering Long Passive Mode.";
    /// 229: entering extended passive mode `(|||port|)` (RFC 2428).
    ENTERING_EXTENDED_PASSIVE = 229, true, "Entering Extended Passive Mode.";
    /// 230: user logged in, proceed (RFC 959).
    LOGGED_IN = 230, true, "Logged in.";
    /// 232: user logged in, authorized by the security data exchange (RFC 2228).
    LOGGED_IN_SECURE = 232, true, "Logged in, authorized by security data exchange.";
    /// 234: security mechanism accepted, no security data needed; AUTH TLS accepted (RFC 2228, RFC 4217).
    SECURITY_ACCEPTED = 234, true, "Security mechanism accepted.";
    /// 235: security data accepted, exchange complete (RFC 2228).
    SECURITY_DATA_OK = 235, true, "Security data exchange complete.";
    /// 250: requested file action okay, completed (RFC 959).
    FILE_ACTION_OK = 250, true, "Requested file action okay, completed.";
    /// 251: MD5 result `path HEX`. **Non-RFC** (draft-twine-ftpmd5); do not emit, clients accept any 2yz.
    MD5_RESULT = 251, false, "Digest computed.";
    /// 257: `"PATHNAME"` created, or the current directory (RFC 959 App. II).
    PATH_CREATED = 257, true, "\"/\" is the current directory.";
    // --- 3yz positive intermediate ---
    /// 331: user name okay, need password (RFC 959).
    NEED_PASSWORD = 331, true, "Password required.";
    /// 332: need account for login (RFC 959).
    NEED_ACCOUNT = 332, true, "Account required.";
    /// 334: security mechanism accepted, security data required (RFC 2228; never for AUTH TLS).
    SECURITY_DATA_NEEDED = 334, true, "Security data required.";
    /// 335: security data accepted, more required (RFC 2228).
    SECURITY_DATA_MORE = 335, true, "More security data required.";
    /// 336: user name okay, need password; the text carries a challenge (RFC 2228).
    NEED_PASSWORD_CHALLENGE = 336, true, "Password required; challenge follows.";
    /// 350: requested file action pending further information (RFC 959; RNFR, REST).
    PENDING_FURTHER_INFO = 350, true, "Pending further information.";
    // --- 4yz transient negative ---
    /// 421: service not available, closing the control connection; valid as a reply to anything (RFC 959).
    SERVICE_NOT_AVAILABLE = 421, true, "Service not available, closing control connection.";
    /// 425: can't open the data connection (RFC 959).
    CANT_OPEN_DATA = 425, true, "Can't open data connection.";
    /// 426: connection closed; transfer aborted (RFC 959).
    TRANSFER_ABORTED = 426, true, "Connection closed, transfer aborted.";
    /// 430: "invalid username or password". **Non-RFC**; do not emit (use 530), interpret as 4yz.
    INVALID_CREDENTIALS = 430, false, "Invalid user name or password.";
    /// 431: double meaning. RFC 2228: need some unavailable resource to
    /// process security. RFC 959 App. II also shows 431 for "no such
    /// directory" on TOPS-20. Interpret by first digit.
    SECURITY_RESOURCE_UNAVAILABLE = 431, true, "Security resource unavailable.";
    /// 434: "requested host unavailable". **Non-RFC** (pre-RFC HOST drafts;
    /// RFC 7151 uses 504/421); do not emit.
    HOST_UNAVAILABLE = 434, false, "Requested host unavailable.";
    /// 450: file action not taken; file unavailable, e.g. busy (RFC 959).
    FILE_UNAVAILABLE_BUSY = 450, true, "File unavailable.";
    /// 451: action aborted, local error in processing; OPTS transient error (RFC 959, RFC 2389).
    LOCAL_ERROR = 451, true, "Local error in processing.";
    /// 452: action not taken, insufficient storage (RFC 959).
    INSUFFICIENT_STORAGE = 452, true, "Insufficient storage space.";
    // --- 5yz permanent negative ---
    /// 500: syntax error, command unrecognized; also command line too long (RFC 959).
    SYNTAX_ERROR = 500, true, "Syntax error, command unrecognized.";
    /// 501: syntax error in parameters or arguments (RFC 959).
    SYNTAX_ERROR_ARGS = 501, true, "Syntax error in parameters or arguments.";
    /// 502: command not implemented (RFC 959).
    NOT_IMPLEMENTED = 502, true, "Command not implemented.";
    /// 503: bad sequence of commands (RFC 959).
    BAD_SEQUENCE = 503, true, "Bad sequence of commands.";
    /// 504: command not implemented for that parameter (RFC 959).
    NOT_IMPLEMENTED_FOR_PARAM = 504, true, "Command not implemented for that parameter.";
    /// 521: double meaning. RFC 4217 §10.2: the data connection cannot be
    /// opened with this PROT setting (the meaning we use). RFC 959 App. II
    /// also shows 521 for "directory already exists" (MKD).
    DATA_PROT_REFUSED = 521, true, "Data connection cannot be opened with this PROT setting.";
    /// 522: double meaning. RFC 2428 §2: network protocol not supported, the
    /// text ends with the supported list `(1,2)` (EPRT). RFC 4217: TLS
    /// negotiation on the data connection failed or protection insufficient.
    PROTOCOL_NOT_SUPPORTED = 522, true, "Network protocol not supported, use (1,2)";
    /// 530: not logged in (RFC 959).
    NOT_LOGGED_IN = 530, true, "Not logged in.";
    /// 532: need account for storing files (RFC 959).
    NEED_ACCOUNT_FOR_STORING = 532, true, "Need account for storing files.";
    /// 533: command protection level denied for policy reasons (RFC 2228).
    COMMAND_PROTECTION_DENIED = 533, true, "Command protection level denied for policy reasons.";
    /// 534: request denied for policy reasons (RFC 2228, RFC 4217).
    POLICY_DENIED = 534, true, "Request denied for policy reasons.";
    /// 535: failed security check (RFC 2228).
    SECURITY_CHECK_FAILED = 535, true, "Failed security check.";
    /// 536: requested PROT level not supported by the mechanism (RFC 2228).
    DATA_PROT_NOT_SUPPORTED = 536, true, "Requested PROT level not supported by mechanism.";
    /// 537: command protection level not supported by the mechanism (RFC 2228).
    COMMAND_PROTECTION_NOT_SUPPORTED = 537, true, "Command protection level not supported by security mechanism.";
    /// 550: action not taken; file unavailable, e.g. not found or no access (RFC 959).
    FILE_UNAVAILABLE = 550, true, "File unavailable.";
    /// 551: action aborted; page type unknown (RFC 959).
    PAGE_TYPE_UNKNOWN = 551, true, "Page type unknown.";
    /// 552: file action aborted; exceeded storage allocation (RFC 959).
    EXCEEDED_STORAGE = 552, true, "Exceeded storage allocation.";
    /// 553: action not taken; file name not allowed (RFC 959).
    FILE_NAME_NOT_ALLOWED = 553, true, "File name not allowed.";
    /// 554: action not taken; invalid REST parameter (RFC 1123 §4.1.3.4).
    INVALID_REST = 554, true, "Invalid REST parameter.";
    /// 555: action not taken; TYPE or STRU mismatch (RFC 1123 §4.1.3.4).
    TYPE_MISMATCH = 555, true, "Type or structure mismatch.";
    // --- 6yz protected (RFC 2228 §5.2) ---
    /// 631: integrity-protected reply; the text is base64 (RFC 2228 §5.2).
    INTEGRITY_PROTECTED = 631, true, "";
    /// 632: confidentiality- and integrity-protected ("private") reply (RFC 2228 §5.2).
    PRIVATE_PROTECTED = 632, true, "";
    /// 633: confidentiality-protected reply (RFC 2228 §5.2).
    CONFIDENTIAL_PROTECTED = 633, true, "";
}

impl ReplyCode {
    /// A code from a number, if it is in `100..=699`.
    ///
    /// # Errors
    /// [`ReplyCodeError::OutOfRange`] otherwise.
    pub const fn new(value: u16) -> Result<Self, ReplyCodeError> {
        if value >= 100 && value <= 699 {
            Ok(Self(value))
        } else {
            Err(ReplyCodeError::OutOfRange(value))
        }
    }

    /// Constructor for the named constants: an invalid value fails the build
    /// (const evaluation), never a run.
    const fn known(value: u16) -> Self {
        match Self::new(value) {
            Ok(code) => code,
            Err(_) => panic!("named reply code out of range"),
        }
    }

    /// Parses exactly three ASCII digits (`b"226"`).
    ///
    /// # Errors
    /// [`ReplyCodeError::NotThreeDigits`] if `bytes` is not three ASCII
    /// digits, [`ReplyCodeError::OutOfRange`] if the first digit is `0` or
    /// `7`..=`9`.
    pub const fn parse(bytes: &[u8]) -> Result<Self, ReplyCodeError> {
        match bytes {
            [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
                let value = (*a - b'0') as u16 * 100 + (*b - b'0') as u16 * 10 + (*c - b'0') as u16;
                Self::new(value)
            }
            _ => Err(ReplyCodeError::NotThreeDigits),
        }
    }

    /// The numeric value (`226`).
    #[must_use]
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// The three ASCII digits as sent on the wire (`*b"226"`).
    #[must_use]
    pub const fn to_ascii(self) -> [u8; 3] {
        // `self.0` is in 100..=699, so every digit fits a u8.
        [
            b'0' + (self.0 / 100) as u8,
            b'0' + (self.0 / 10 % 10) as u8,
            b'0' + (self.0 % 10) as u8,
        ]
    }

    /// The first digit as a class. Unknown codes are interpreted by this
    /// digit (RFC 1123 §4.1.2.11).
    #[must_use]
    pub const fn class(self) -> ReplyClass {
        match self.0 / 100 {
            1 => ReplyClass::Preliminary,
            2 => ReplyClass::Completion,
            3 => ReplyClass::Intermediate,
            4 => ReplyClass::TransientNegative,
            5 => ReplyClass::PermanentNegative,
            _ => ReplyClass::Protected,
        }
    }

    /// The second digit as a category.
    #[must_use]
    pub const fn category(self) -> ReplyCategory {
        match self.0 / 10 % 10 {
            0 => ReplyCategory::Syntax,
            1 => ReplyCategory::Information,
            2 => ReplyCategory::Connections,
            3 => ReplyCategory::Authentication,
            4 => ReplyCategory::Unspecified,
            5 => ReplyCategory::FileSystem,
            _ => ReplyCategory::Other,
        }
    }

    /// `1yz`: another reply follows for the same command.
    #[must_use]
    pub const fn is_preliminary(self) -> bool {
        matches!(self.class(), ReplyClass::Preliminary)
    }

    /// `2yz`: the command completed successfully.
    #[must_use]
    pub const fn is_completion(self) -> bool {
        matches!(self.class(), ReplyClass::Completion)
    }

    /// `3yz`: the next command of the group is expected.
    #[must_use]
    pub const fn is_intermediate(self) -> bool {
        matches!(self.class(), ReplyClass::Intermediate)
    }

    /// `1yz`, `2yz` or `3yz`.
    #[must_use]
    pub const fn is_positive(self) -> bool {
        self.0 < 400
    }

    /// `4yz` or `5yz`.
    #[must_use]
    pub const fn is_negative(self) -> bool {
        self.0 >= 400 && self.0 < 600
    }

    /// `4yz`: a transient failure.
    #[must_use]
    pub const fn is_transient_negative(self) -> bool {
        matches!(self.class(), ReplyClass::TransientNegative)
    }

    /// `5yz`: a permanent failure.
    #[must_use]
    pub const fn is_permanent_negative(self) -> bool {
        matches!(self.class(), ReplyClass::PermanentNegative)
    }

    /// `6yz`: a protected reply (RFC 2228 §5.2).
    #[must_use]
    pub const fn is_protected(self) -> bool {
        matches!(self.class(), ReplyClass::Protected)
    }

    /// Whether the reply ends the command: anything but `1yz`.
    #[must_use]
    pub const fn is_final(self) -> bool {
        !self.is_preliminary()
    }
}

impl ReplyClass {
    /// The first digit of codes of this class.
    #[must_use]
    pub const fn digit(self) -> u8 {
        match self {
            Self::Preliminary => 1,
            Self::Completion => 2,
            Self::Intermediate => 3,
            Self::TransientNegative => 4,
            Self::PermanentNegative => 5,
            Self::Protected => 6,
        }
    }

    /// Our generic wording for an unnamed code of this class.
    #[must_use]
    pub const fn default_text(self) -> &'static str {
        match self {
            Self::Preliminary => "Action started.",
            Self::Completion => "Okay.",
            Self::Intermediate => "More information needed.",
            Self::TransientNegative => "Action not taken, try again later.",
            Self::PermanentNegative => "Action not taken.",
            Self::Protected => "",
        }
    }
}

impl fmt::Display for ReplyCode {
    /// The three digits (`226`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

impl fmt::Debug for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "ReplyCode({} {})", self.0, name),
            None => write!(f, "ReplyCode({})", self.0),
        }
    }
}

impl TryFrom<u16> for ReplyCode {
    type Error = ReplyCodeError;
    fn try_from(value: u16) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ReplyCode> for u16 {
    fn from(code: ReplyCode) -> Self {
        code.0
    }
}

impl FromStr for ReplyCode {
    type Err = ReplyCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s.as_bytes())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for ReplyCode {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self(u.int_in_range(100..=699)?))
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (2, Some(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn parse_table() {
        let cases: &[(&[u8], Result<u16, ReplyCodeError>)] = &[
            (b"200", Ok(200)),
            (b"100", Ok(100)),
            (b"699", Ok(699)),
            (b"299", Ok(299)),
            (b"430", Ok(430)),
            (b"099", Err(ReplyCodeError::OutOfRange(99))),
            (b"700", Err(ReplyCodeError::OutOfRange(700))),
            (b"999", Err(ReplyCodeError::OutOfRange(999))),
            (b"20", Err(ReplyCodeError::NotThreeDigits)),
            (b"2000", Err(ReplyCodeError::NotThreeDigits)),
            (b"2a0", Err(ReplyCodeError::NotThreeDigits)),
            (b"-20", Err(ReplyCodeError::NotThreeDigits)),
            (b"", Err(ReplyCodeError::NotThreeDigits)),
            (b"\xd9\xa0\xd9", Err(ReplyCodeError::NotThreeDigits)),
        ];
        for (input, want) in cases {
            let got = ReplyCode::parse(input).map(ReplyCode::as_u16);
            assert_eq!(got, *want, "{input:?}");
        }
    }

    #[test]
    fn new_range() {
        for v in 0..=1000u16 {
            assert_eq!(ReplyCode::new(v).is_ok(), (100..=699).contains(&v), "{v}");
        }
    }

    #[test]
    fn every_valid_code_round_trips_through_ascii_and_display() {
        for v in 100..=699u16 {
            let code = ReplyCode::new(v).unwrap();
            let ascii = code.to_ascii();
            assert_eq!(ReplyCode::parse(&ascii), Ok(code));
            assert_eq!(code.to_string().as_bytes(), &ascii);
            assert_eq!(code.class().digit() as u16, v / 100);
            assert!(!code.default_text().contains('\r'));
        }
    }

    #[test]
    fn classes_and_categories() {
        let cases = [
            (
                ReplyCode::FILE_STATUS_OK,
                ReplyClass::Preliminary,
                ReplyCategory::FileSystem,
            ),
            (
                ReplyCode::COMMAND_OK,
                ReplyClass::Completion,
                ReplyCategory::Syntax,
            ),
            (
                ReplyCode::SYSTEM_STATUS,
                ReplyClass::Completion,
                ReplyCategory::Information,
            ),
            (
                ReplyCode::ENTERING_PASSIVE,
                ReplyClass::Completion,
                ReplyCategory::Connections,
            ),
            (
                ReplyCode::NEED_PASSWORD,
                ReplyClass::Intermediate,
                ReplyCategory::Authentication,
            ),
            (
                ReplyCode::CANT_OPEN_DATA,
                ReplyClass::TransientNegative,
                ReplyCategory::Connections,
            ),
            (
                ReplyCode::FILE_UNAVAILABLE,
                ReplyClass::PermanentNegative,
                ReplyCategory::FileSystem,
            ),
            (
                ReplyCode::PRIVATE_PROTECTED,
                ReplyClass::Protected,
                ReplyCategory::Authentication,
            ),
            (
                ReplyCode::new(299).unwrap(),
                ReplyClass::Completion,
                ReplyCategory::Other,
            ),
            (
                ReplyCode::new(543).unwrap(),
                ReplyClass::PermanentNegative,
                ReplyCategory::Unspecified,
            ),
        ];
        for (code, class, category) in cases {
            assert_eq!(code.class(), class, "{code}");
            assert_eq!(code.category(), category, "{code}");
        }
        assert!(ReplyCode::FILE_STATUS_OK.is_positive() && !ReplyCode::FILE_STATUS_OK.is_final());
        assert!(
            ReplyCode::LOCAL_ERROR.is_negative() && ReplyCode::LOCAL_ERROR.is_transient_negative()
        );
        assert!(
            !ReplyCode::INTEGRITY_PROTECTED.is_positive()
                && !ReplyCode::INTEGRITY_PROTECTED.is_negative()
        );
    }

    #[test]
    fn named_table_is_sorted_unique_and_consistent() {
        for pair in ReplyCode::ALL_NAMED.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} before {:?}", pair[0], pair[1]);
        }
        for (code, name) in ReplyCode::ALL_NAMED {
            assert_eq!(code.name(), Some(*name));
            let protected = code.is_protected();
            assert_eq!(code.default_text().is_empty(), protected, "{name}");
        }
        let non_rfc: alloc::vec::Vec<u16> = ReplyCode::ALL_NAMED
            .iter()
            .filter(|(c, _)| !c.is_rfc())
            .map(|(c, _)| c.as_u16())
            .collect();
        assert_eq!(non_rfc, [251, 430, 434]);
        assert_eq!(ReplyCode::new(299).unwrap().name(), None);
        assert_eq!(ReplyCode::new(299).unwrap().default_text(), "Okay.");
    }

    #[test]
    fn spec_codes_are_all_named() {
        let spec = [
            110, 120, 125, 150, 200, 202, 211, 212, 213, 214, 215, 220, 221, 225, 226, 227, 228,
            229, 230, 232, 234, 235, 250, 251, 257, 331, 332, 334, 335, 336, 350, 421, 425, 426,
            430, 431, 434, 450, 451, 452, 500, 501, 502, 503, 504, 521, 522, 530, 532, 533, 534,
            535, 536, 537, 550, 551, 552, 553, 554, 555, 631, 632, 633,
        ];
        for v in spec {
            assert!(
                ReplyCode::new(v).unwrap().name().is_some(),
                "{v} has no constant"
            );
        }
        assert_eq!(ReplyCode::ALL_NAMED.len(), spec.len());
    }

    #[test]
    fn debug_shows_name() {
        assert_eq!(
            alloc::format!("{:?}", ReplyCode::CLOSING_DATA),
            "ReplyCode(226 CLOSING_DATA)"
        );
        assert_eq!(
            alloc::format!("{:?}", ReplyCode::new(299).unwrap()),
            "ReplyCode(299)"
        );
    }
}
