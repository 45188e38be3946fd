package dev.chimney.cli;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * SIGINT/SIGTERM handling for long-running commands. The JVM's default turns either signal into an exit with
 * status 130/143 after shutdown hooks; {@code chimney run} must instead finish its clean shutdown on its main
 * thread and exit 0, so it installs handlers (the JDK's {@code sun.misc.Signal}, in module jdk.unsupported).
 * A second signal while shutting down ends the process at once (exit 130), for a user who will not wait.
 */
final class Signals {
    private Signals() {
    }

    /** Calls {@code onFirst} on the first SIGINT or SIGTERM; a later one halts the JVM. */
    static void onTermination(Runnable onFirst) {
        AtomicInteger received = new AtomicInteger();
        sun.misc.SignalHandler handler = signal -> {
            if (received.getAndIncrement() == 0) {
                onFirst.run();
            } else {
                System.err.println("chimney: second SIG" + signal.getName() + ", exiting without waiting");
                Runtime.getRuntime().halt(130);
            }
        };
        for (String name : new String[] {"INT", "TERM"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), handler);
        }
    }
}
