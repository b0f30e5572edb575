"""The journal's tree hashing, proofs and their verification, against pymerkle (an
independent RFC 6962 implementation)."""

from __future__ import annotations

import pymerkle

from vigie.audit.merkle import (
    EMPTY_ROOT,
    CompactTree,
    Levels,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

SIZES = [*range(1, 34), 64, 100, 129]


def entries(n: int) -> list[bytes]:
    return [b'{"seq":%d,"action":"segment_allowed"}' % i for i in range(n)]


def reference(n: int) -> pymerkle.InmemoryTree:
    tree = pymerkle.InmemoryTree(algorithm="sha256")  # security=True: 0x00/0x01 prefixes
    for e in entries(n):
        tree.append_entry(e)
    return tree


def test_roots_match_pymerkle():
    ref = reference(max(SIZES))
    leaves = [leaf_hash(e) for e in entries(max(SIZES))]
    levels = Levels(leaves)
    compact = CompactTree()
    for n in range(1, max(SIZES) + 1):
        compact.append(leaves[n - 1])
        assert ref.get_leaf(n) == leaves[n - 1]
        assert levels.root(n) == ref.get_root(n) == compact.root() == root(leaves[:n])
    assert root([]) == EMPTY_ROOT == ref.hash_empty()


def test_our_proofs_verify_against_pymerkle_roots():
    ref = reference(max(SIZES))
    leaves = [leaf_hash(e) for e in entries(max(SIZES))]
    levels = Levels(leaves)
    for n in SIZES:
        for i in range(n):
            assert verify_inclusion(leaves[i], i, n, levels.inclusion(i, n), ref.get_root(n))
        for m in range(1, n + 1):
            proof = levels.consistency(m, n)
            assert verify_consistency(m, n, ref.get_root(m), ref.get_root(n), proof)


def test_pymerkle_proofs_verify_against_our_roots():
    ref = reference(70)
    leaves = [leaf_hash(e) for e in entries(70)]
    levels = Levels(leaves)
    for n in (1, 2, 7, 64, 70):
        for i in range(n):
            proof = ref.prove_inclusion(i + 1, n)
            pymerkle.verify_inclusion(leaves[i], levels.root(n), proof)
        for m in range(1, n + 1):
            proof = ref.prove_consistency(m, n)
            pymerkle.verify_consistency(levels.root(m), levels.root(n), proof)


def test_wrong_proofs_fail():
    leaves = [leaf_hash(e) for e in entries(20)]
    levels = Levels(leaves)
    r = levels.root(20)
    proof = levels.inclusion(5, 20)
    assert not verify_inclusion(leaves[6], 5, 20, proof, r)
    assert not verify_inclusion(leaves[5], 6, 20, proof, r)
    assert not verify_inclusion(leaves[5], 5, 20, proof[:-1], r)
    other = Levels([*leaves[:3], leaf_hash(b"forged"), *leaves[4:]])
    assert not verify_consistency(10, 20, other.root(10), r, levels.consistency(10, 20))
    assert not verify_consistency(10, 20, levels.root(10), r, other.consistency(10, 20))
    assert not verify_consistency(20, 10, r, levels.root(10), [])


def test_verifier_keys_round_trip():
    """Key texts are `name+hexid+base64`; base64 may itself hold `+`."""
    from vigie.audit.note import COSIGNATURE, ED25519, Signer, Verifier

    for i in range(40):
        signer = Signer.generate(f"key-{i}", ED25519 if i % 2 else COSIGNATURE)
        parsed = Verifier.parse(signer.verifier.text())
        assert parsed.text() == signer.verifier.text() and parsed.id == signer.verifier.id
