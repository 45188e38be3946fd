/**
 * Event loops, time and randomness.
 *
 * <p>Every piece of protocol state is owned by one {@link dev.chimney.runtime.EventLoop}; other threads reach it
 * only through {@link dev.chimney.runtime.EventLoop#execute}. Protocol code reads time only from a
 * {@link dev.chimney.runtime.Clock} and randomness only from a {@link dev.chimney.runtime.SeededRandom}, so the
 * {@link dev.chimney.runtime.Simulator} can run many loops on one virtual timeline and replay any run from its seed.
 * In real time, {@link dev.chimney.runtime.LoopThread} runs a loop on its own platform thread and sleeps in an
 * {@link dev.chimney.runtime.IoWaiter} (park/unpark by default, poll(2) for a TAP device) when idle.
 */
package dev.chimney.runtime;
