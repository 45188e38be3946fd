package dev.chimney.cli;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * SIGINT/SIGTERM handling for long-running commands. The JVM's default turns either signal into an exit with
 * status 130/143 after shutdown hooks; {@code chimney run} must instead finish its clean shutdown on its main
 * thread and exit 0, so it installs handlers (the JDK's {@code sun.misc.Signal}, in module jdk.unsupported).
 * Later signals are ignored: the shutdown is bounded by its timeout anyway, and wrappers such as timeout(1)
 * deliver one signal twice (to the child and to its process group).
 */
final class Signals {
    private Signals() {
    }

    /** Calls {@code onFirst} on the first SIGINT or SIGTERM. */
    static void onTermination(Runnable onFirst) {
        AtomicBoolean received = new AtomicBoolean();
        sun.misc.SignalHandler handler = signal -> {
            if (received.compareAndSet(false, true)) {
                onFirst.run();
            }
        };
        for (String name : new String[] {"INT", "TERM"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), handler);
        }
    }
}
