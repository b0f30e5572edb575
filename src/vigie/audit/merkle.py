"""Merkle tree hashing as in RFC 6962 / RFC 9162 section 2.1 (SHA-256).

Leaf: H(0x00 || entry); node: H(0x01 || left || right); the empty tree: H("").
Proof generation takes the list of leaf hashes; verification follows RFC 9162
2.1.3.2 (inclusion) and 2.1.4.2 (consistency).
"""

from __future__ import annotations

from hashlib import sha256


def leaf_hash(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = sha256(b"").digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) of a list of leaf hashes."""
    return Levels(leaves).root(len(leaves))


class Levels:
    """Every full subtree of a list of leaf hashes, level by level: the root of any
    prefix, and the proofs, in O(log n) lookups once built (O(n) hashes)."""

    def __init__(self, leaves: list[bytes]):
        self.levels = [leaves]
        level = leaves
        while len(level) > 1:
            # node_hash inlined: a million calls less when verifying a million entries
            pairs = zip(level[0::2], level[1::2], strict=False)
            level = [sha256(b"\x01" + a + b).digest() for a, b in pairs]
            self.levels.append(level)

    def subtree(self, start: int, size: int) -> bytes:
        """MTH of leaves[start:start+size] for any start/size (not only aligned ones)."""
        if size == 0:
            return EMPTY_ROOT
        k = size.bit_length() - 1
        if size == 1 << k and start % size == 0:
            return self.levels[k][start >> k]
        split = _split(size)
        return node_hash(self.subtree(start, split), self.subtree(start + split, size - split))

    def root(self, size: int) -> bytes:
        return self.subtree(0, size)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """RFC 6962 PATH(index, D[size])."""
        return self._path(index, 0, size)

    def _path(self, m: int, start: int, n: int) -> list[bytes]:
        if n <= 1:
            return []
        k = _split(n)
        if m < k:
            return [*self._path(m, start, k), self.subtree(start + k, n - k)]
        return [*self._path(m - k, start + k, n - k), self.subtree(start, k)]

    def consistency(self, old: int, new: int) -> list[bytes]:
        """RFC 6962 PROOF(old, D[new])."""
        if old == 0 or old == new:
            return []
        return self._subproof(old, 0, new, True)

    def _subproof(self, m: int, start: int, n: int, whole: bool) -> list[bytes]:
        if m == n:
            return [] if whole else [self.subtree(start, n)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, start, k, whole), self.subtree(start + k, n - k)]
        return [*self._subproof(m - k, start + k, n - k, False), self.subtree(start, k)]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root_: bytes) -> bool:
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2."""
    if old > new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: old_root is the first node
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


class CompactTree:
    """The right edge of a growing tree: O(log n) memory, root of the current size."""

    def __init__(self):
        self.size = 0
        self._stack: list[bytes] = []  # roots of full subtrees, largest first

    def append(self, leaf: bytes) -> None:
        self._stack.append(leaf)
        self.size += 1
        n = self.size
        while not n & 1:
            right = self._stack.pop()
            self._stack[-1] = node_hash(self._stack[-1], right)
            n >>= 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        r = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            r = node_hash(left, r)
        return r
