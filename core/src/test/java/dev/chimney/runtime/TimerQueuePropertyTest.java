package dev.chimney.runtime;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The heap-based {@link TimerQueue} against an obviously-correct model (a list scanned for the minimum
 * (deadline, arming order)), over random schedule / re-arm / cancel / poll sequences, including callbacks that
 * re-arm themselves and callbacks that cancel or re-arm other timers.
 */
class TimerQueuePropertyTest {
    private static final int TIMERS = 8;

    sealed interface Op permits Schedule, Cancel, Poll {
    }

    record Schedule(int id, long deltaNs) implements Op {
    }

    record Cancel(int id) implements Op {
    }

    record Poll(long advanceNs, int limit) implements Op {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> schedule = Combinators.combine(Arbitraries.integers().between(0, TIMERS - 1),
                Arbitraries.longs().between(0, 50)).as(Schedule::new);
        Arbitrary<Op> cancel = Arbitraries.integers().between(0, TIMERS - 1).map(Cancel::new);
        Arbitrary<Op> poll = Combinators.combine(Arbitraries.longs().between(0, 30),
                Arbitraries.integers().between(1, 20)).as(Poll::new);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, schedule),
                net.jqwik.api.Tuple.of(2, cancel),
                net.jqwik.api.Tuple.of(3, poll)).list().ofMaxSize(120);
    }

    /**
     * What a timer does when it fires, by id: 0,1 re-arm themselves (1 at the same instant, so it can fire again in
     * the same poll), 2,3 cancel the next timer, 4 re-arms timer 5 one tick later, the others do nothing.
     */
    interface Effects {
        void schedule(int id, long deadlineNs);

        void cancel(int id);
    }

    static void onFire(int id, long nowNs, Effects fx) {
        switch (id) {
            case 0 -> fx.schedule(0, nowNs + 7);
            case 1 -> fx.schedule(1, nowNs);
            case 2, 3 -> fx.cancel(id + 1);
            case 4 -> fx.schedule(5, nowNs + 1);
            default -> {
            }
        }
    }

    /** The model: armed timers with their deadline and arming sequence number. */
    static final class Model implements Effects {
        final long[] deadline = new long[TIMERS];
        final long[] seq = new long[TIMERS];
        final boolean[] armed = new boolean[TIMERS];
        long nextSeq;
        final List<String> log = new ArrayList<>();

        @Override
        public void schedule(int id, long deadlineNs) {
            deadline[id] = deadlineNs;
            seq[id] = nextSeq++;
            armed[id] = true;
        }

        @Override
        public void cancel(int id) {
            armed[id] = false;
        }

        void poll(long nowNs, int limit) {
            int fired = 0;
            while (fired < limit) {
                int best = -1;
                for (int i = 0; i < TIMERS; i++) {
                    if (armed[i] && deadline[i] <= nowNs && (best < 0 || deadline[i] < deadline[best]
                            || deadline[i] == deadline[best] && seq[i] < seq[best])) {
                        best = i;
                    }
                }
                if (best < 0) {
                    return;
                }
                armed[best] = false;
                fired++;
                log.add(best + "@" + nowNs);
                onFire(best, nowNs, this);
            }
        }

        long next() {
            long m = Long.MAX_VALUE;
            for (int i = 0; i < TIMERS; i++) {
                if (armed[i]) {
                    m = Math.min(m, deadline[i]);
                }
            }
            return m;
        }

        int size() {
            int n = 0;
            for (boolean a : armed) {
                n += a ? 1 : 0;
            }
            return n;
        }
    }

    @Property(tries = 400)
    void wheelMatchesModel(@ForAll("ops") List<Op> ops) {
        TimerQueue wheel = new TimerQueue();
        List<String> log = new ArrayList<>();
        Timer[] timers = new Timer[TIMERS];
        Effects real = new Effects() {
            @Override
            public void schedule(int id, long deadlineNs) {
                wheel.schedule(timers[id], deadlineNs);
            }

            @Override
            public void cancel(int id) {
                wheel.cancel(timers[id]);
            }
        };
        for (int i = 0; i < TIMERS; i++) {
            int id = i;
            timers[i] = new Timer() {
                @Override
                protected void onExpired(long nowNs) {
                    log.add(id + "@" + nowNs);
                    onFire(id, nowNs, real);
                }
            };
        }
        Model model = new Model();
        long now = 0;
        for (Op op : ops) {
            switch (op) {
                case Schedule s -> {
                    wheel.schedule(timers[s.id()], now + s.deltaNs());
                    model.schedule(s.id(), now + s.deltaNs());
                }
                case Cancel c -> {
                    wheel.cancel(timers[c.id()]);
                    model.cancel(c.id());
                }
                case Poll p -> {
                    now += p.advanceNs();
                    int fired = wheel.poll(now, p.limit());
                    int before = model.log.size();
                    model.poll(now, p.limit());
                    assertEquals(model.log.size() - before, fired, "fired count after " + op);
                }
            }
            assertEquals(model.log, log, "firing order and times after " + op);
            assertEquals(model.next(), wheel.nextDeadlineNs(), "next deadline after " + op);
            assertEquals(model.size(), wheel.size(), "armed count after " + op);
            for (int i = 0; i < TIMERS; i++) {
                assertEquals(model.armed[i], timers[i].isArmed(), "timer " + i + " armed after " + op);
                if (model.armed[i]) {
                    assertEquals(model.deadline[i], timers[i].deadlineNs());
                }
            }
        }
    }
}
