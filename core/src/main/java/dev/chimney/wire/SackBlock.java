package dev.chimney.wire;

/** One SACK block (RFC 2018 §3): {@code left} is the first sequence number, {@code right} the one after the last. */
public record SackBlock(int left, int right) {
}
