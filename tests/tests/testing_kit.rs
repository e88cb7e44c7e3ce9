//! The public testing kit (`ftp_proto::testing`) checked on its own terms:
//! a session's outcome does not depend on how the control bytes are cut into
//! reads, a cut control connection ends every operation, and generated
//! sessions (any operations, any read boundaries, any cut) never leave an
//! operation unfinished or the engines disagreeing.

use ftp_proto::client::{ClientConfig, OpId};
use ftp_proto::server::ServerConfig;
use ftp_proto::testing::{Operation, PASSWORD, Pair, PathChoice, USER};
use proptest::prelude::*;

fn session() -> Vec<Operation> {
    vec![
        Operation::Login {
            right_password: true,
        },
        Operation::Pwd,
        Operation::List(None),
        Operation::Retrieve(PathChoice(1), 10),
        Operation::Store(PathChoice(6), b"nope".to_vec()), // /new does not exist
        Operation::Mkdir(PathChoice(5)),
        Operation::Store(PathChoice(6), b"now it does".to_vec()),
        Operation::Rename(PathChoice(6), PathChoice(7)),
        Operation::Size(PathChoice(7)),
        Operation::Quit,
    ]
}

/// Runs `ops` and returns each operation's outcome, as text.
fn outcomes(pair: &mut Pair, ops: &[Operation]) -> Vec<String> {
    let ids: Vec<Option<OpId>> = ops
        .iter()
        .map(|op| pair.run(op, USER, PASSWORD).ok().flatten())
        .collect();
    ids.into_iter()
        .map(|id| match id {
            Some(id) => format!("{:?}", pair.result(id)),
            None => "refused".to_owned(),
        })
        .collect()
}

#[test]
fn read_boundaries_do_not_change_a_session() {
    let mut whole = Pair::new();
    let expected = outcomes(&mut whole, &session());
    assert!(whole.anomalies.is_empty(), "{:?}", whole.anomalies);
    assert_eq!(
        whole.responder.file("/upload.bin"),
        Some(&b"now it does"[..])
    );
    for chunk in 1..=17 {
        let mut p = Pair::new();
        p.faults.control_chunk = Some(chunk);
        // Odd chunks stream listings as an adapter does, even ones let the
        // engine render them: the client sees the same bytes.
        p.responder.stream_listings = chunk % 2 == 1;
        assert_eq!(outcomes(&mut p, &session()), expected, "chunk {chunk}");
        assert_eq!(p.client_wire, whole.client_wire, "chunk {chunk}");
        assert_eq!(p.server_wire, whole.server_wire, "chunk {chunk}");
    }
}

#[test]
fn a_cut_control_connection_ends_every_operation() {
    let mut whole = Pair::new();
    outcomes(&mut whole, &session());
    let total = whole.client_wire.len();
    for cut in 0..total {
        let mut p = Pair::new();
        p.faults.close_control_after = Some(cut);
        let results = outcomes(&mut p, &session());
        assert!(
            results.iter().all(|r| r != "None"),
            "cut at {cut}: an operation never ended: {results:?}"
        );
        assert!(p.client.is_closed_for_test(), "cut at {cut}");
        assert!(p.anomalies.is_empty(), "cut at {cut}: {:?}", p.anomalies);
        // Nothing half-done reached the tree: an upload is whole or absent.
        if let Some(f) = p.responder.file("/new/file.txt") {
            assert_eq!(f, b"now it does", "cut at {cut}");
        }
    }
}

trait ClosedForTest {
    fn is_closed_for_test(&self) -> bool;
}

impl ClosedForTest for ftp_proto::client::ClientSession {
    fn is_closed_for_test(&self) -> bool {
        ftp_proto::Session::is_closed(self)
    }
}

fn operation() -> impl Strategy<Value = Operation> {
    let path = any::<u8>().prop_map(PathChoice);
    prop_oneof![
        any::<bool>().prop_map(|right_password| Operation::Login { right_password }),
        Just(Operation::Pwd),
        path.clone().prop_map(Operation::Cwd),
        Just(Operation::Cdup),
        path.clone().prop_map(Operation::Mkdir),
        path.clone().prop_map(Operation::Rmdir),
        path.clone().prop_map(Operation::Delete),
        (path.clone(), path.clone()).prop_map(|(a, b)| Operation::Rename(a, b)),
        path.clone().prop_map(Operation::Size),
        path.clone().prop_map(Operation::Mdtm),
        proptest::option::of(path.clone()).prop_map(Operation::List),
        Just(Operation::Nlst),
        (path.clone(), any::<u16>()).prop_map(|(p, o)| Operation::Retrieve(p, o)),
        (path.clone(), proptest::collection::vec(any::<u8>(), 0..300))
            .prop_map(|(p, d)| Operation::Store(p, d)),
        (path, proptest::collection::vec(any::<u8>(), 0..50))
            .prop_map(|(p, d)| Operation::Append(p, d)),
        Just(Operation::Noop),
        (0u16..700).prop_map(Operation::Wait),
        Just(Operation::Quit),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_sessions_always_end_and_the_engines_agree(
        ops in proptest::collection::vec(operation(), 1..24),
        chunk in proptest::option::of(1usize..40),
        cut in proptest::option::of(0usize..400),
        drop_data in proptest::option::of(0usize..200),
        stream_listings in any::<bool>(),
    ) {
        let mut p = Pair::with(ClientConfig::default(), ServerConfig::default());
        p.responder.stream_listings = stream_listings;
        p.faults.control_chunk = chunk;
        p.faults.close_control_after = cut;
        p.faults.drop_data_after = drop_data;
        for op in &ops {
            if let Err(broken) = p.run_checked(op) {
                prop_assert!(false, "{}", broken);
            }
        }
        prop_assert!(p.anomalies.is_empty(), "{:?}", p.anomalies);
    }
}
