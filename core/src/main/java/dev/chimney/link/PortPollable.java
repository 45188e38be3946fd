package dev.chimney.link;

import dev.chimney.runtime.Pollable;

import java.util.Objects;

/**
 * Adapts a {@link NetworkPort} to a {@link Pollable}: each turn receives up to the budget into {@code sink}, and the
 * port's {@link NetworkPort#nextArrivalNs()} becomes the loop's next-work time (so the simulator wakes the loop
 * exactly when a virtual frame arrives). Register it with {@code loop.register(PortPollable.of(port, sink))}.
 */
public final class PortPollable implements Pollable {
    private final NetworkPort port;
    private final FrameSink sink;

    private PortPollable(NetworkPort port, FrameSink sink) {
        this.port = Objects.requireNonNull(port, "port");
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    public static PortPollable of(NetworkPort port, FrameSink sink) {
        return new PortPollable(port, sink);
    }

    public NetworkPort port() {
        return port;
    }

    @Override
    public int poll(long nowNs, int budget) {
        return port.receive(sink, budget);
    }

    @Override
    public long nextWorkNs() {
        return port.nextArrivalNs();
    }
}
