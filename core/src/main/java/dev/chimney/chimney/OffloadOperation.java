package dev.chimney.chimney;

/** The five state-manipulation operations (spec §3). */
public enum OffloadOperation {
    INITIATE, TERMINATE, UPDATE, INVALIDATE, QUERY
}
