package dev.chimney.cli;

import dev.chimney.cli.demo.ChimneyDemo;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * The demo's live progress line: the phase, alice's connections (offloaded / on her stack / closed), bytes
 * verified, the chimney's admission state and the team's active NIC. On a terminal one line is rewritten in place
 * (carriage return) every tick and left on screen as the phase ends; elsewhere a line is printed as each phase ends
 * and once a second of wall time between.
 */
final class DemoProgress implements ChimneyDemo.Observer {
    private static final long LINE_INTERVAL_NS = 1_000_000_000L;

    private final PrintWriter out;
    private final boolean terminal;
    private final int width;
    private long nextLineNs;

    DemoProgress(PrintWriter out, boolean terminal, int connections) {
        this.out = out;
        this.terminal = terminal;
        this.width = String.valueOf(connections).length();
        this.nextLineNs = System.nanoTime() + LINE_INTERVAL_NS;
    }

    @Override
    public void onPhase(ChimneyDemo.Snapshot s) {
        if (terminal) {
            show(s);
            out.print("\n"); // the phase's last state stays on screen
        } else {
            out.println(line(s));
            nextLineNs = System.nanoTime() + LINE_INTERVAL_NS;
        }
        out.flush();
    }

    @Override
    public void onTick(ChimneyDemo.Snapshot s) {
        if (terminal) {
            show(s);
        } else if (System.nanoTime() >= nextLineNs) {
            out.println(line(s));
            nextLineNs = System.nanoTime() + LINE_INTERVAL_NS;
        }
        out.flush();
    }

    private void show(ChimneyDemo.Snapshot s) {
        out.print("\r" + line(s) + "\u001b[K"); // erase what a longer earlier line left
    }

    String line(ChimneyDemo.Snapshot s) {
        int open = Math.max(0, s.open());
        int offloaded = Math.min(open, s.offloaded());
        String n = "%" + width + "d";
        return String.format(Locale.ROOT, "[%6.3f s] %-10s | " + n + " offloaded, " + n + " on host, " + n
                + "/%d closed | %6.1f of %.1f MiB verified (%3d%%) | admission %-13s | nic%d", s.elapsedNs() / 1e9,
                s.phase().name(), offloaded, open - offloaded, s.aliceClosed(), s.connections(),
                s.verified() / 1048576.0, s.expected() / 1048576.0,
                (int) (100 * (s.expected() == 0 ? 1 : (double) s.verified() / s.expected())), s.admission(),
                s.activeNic());
    }
}
