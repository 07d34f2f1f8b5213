package dev.turnstile.lock.park;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds deadlocks among the acquirers of tracked locks: cycles in the waits-for graph built from
 * every registered {@link HeldLocks}.
 *
 * <h2>The graph</h2>
 * A vertex is an acquirer (a thread, or an asynchronous task's owner object). An acquirer that waits
 * — a queue node of any kind standing in a lock's queue: a parked thread, a callback, a condition
 * waiter moved onto the lock's queue, a reader or an upgrade — has an edge to
 * <ul>
 *   <li>every holder of that lock whose hold excludes the mode it waits for (a writer waits for every
 *       reader; a reader for a writer, not for other readers); and</li>
 *   <li>the owner of every waiter queued ahead of it whose mode excludes its own: a queued waiter is
 *       admitted only after those ahead of it (a reader behind a queued writer waits for that
 *       writer, which may wait for the reader's own holds: parking_lot's recursive-read deadlock).</li>
 * </ul>
 * Whether one mode excludes another is the lock's own rule: {@code canAcquire(acquired(0, held), mode)}.
 * A cycle that passes through a waiter queued ahead only to reach what the waiter behind it waits for
 * anyway is left out: the same cycle without that waiter is reported.
 * Holds belong to their acquirer's tag, not to the thread that happens to run: a guard handed to
 * another thread belongs to that thread once used there, and an asynchronous task's holds to its
 * owner object wherever its continuations run.
 *
 * <h2>Consistency without stopping the world</h2>
 * The holdings and queues are read one at a time while everything keeps running, so one snapshot can
 * combine facts from different moments. Every fact an edge rests on is monotonic: a queue node that
 * stands in a queue now and later stood there all along (a node leaves a queue once, granted or
 * withdrawn), a hold recorded with the same id now and later was held all along (ids are never
 * reused), and queue order does not change. So the search runs twice, and a cycle is reported only
 * if every edge of it was present in both snapshots: then all of them held at one moment between
 * the two, which is a deadlock (until a timeout or an interrupt ends one of the waits).
 */
public final class DeadlockSearch {
    /** At most this many cycles are reported (the graph is small in practice; this bounds a pathological one). */
    private static final int MAX_CYCLES = 256;

    private DeadlockSearch() {
    }

    /**
     * One edge of a cycle: {@code waiter} waits for {@code lock} (its queue node asks for
     * {@code waitingMode}), and {@code holder} stands in the way: it holds the lock as
     * {@code heldMode} (then {@code site} is where it acquired it, if recorded), or it waits ahead in
     * the queue for {@code heldMode} ({@code queuedAhead}).
     *
     * @param waiter      the waiting acquirer: a {@link Thread} or a task's owner object
     * @param lock        the lock waited for
     * @param waitingMode what the waiter asks for, in the lock's words
     * @param holder      the acquirer in the way
     * @param heldMode    what the holder holds (or is queued for), in the lock's words
     * @param queuedAhead whether the holder is queued ahead rather than holding
     * @param site        where the hold was acquired, or {@code null} if not recorded
     */
    public record Link(Object waiter, RawLock lock, String waitingMode, Object holder, String heldMode,
                       boolean queuedAhead, Throwable site) {
    }

    /**
     * Every deadlock now among the acquirers of tracked locks, each as the cycle of its links.
     *
     * @return the cycles found (empty if none)
     */
    public static List<List<Link>> find() {
        Graph first = Graph.snapshot();
        if (first.cycles().isEmpty()) {
            return List.of();
        }
        Graph second = Graph.snapshot();
        List<List<Link>> confirmed = new ArrayList<>();
        for (List<Edge> cycle : second.cycles()) {
            if (second.shortcut(cycle)) {
                continue;
            }
            boolean all = true;
            for (Edge e : cycle) {
                all &= first.facts.contains(e.fact());
            }
            if (all) {
                List<Link> links = new ArrayList<>(cycle.size());
                for (Edge e : cycle) {
                    links.add(e.toLink());
                }
                confirmed.add(Collections.unmodifiableList(links));
            }
        }
        return confirmed;
    }

    /**
     * What an edge rests on, by identity: the waiting node, and the hold (its holdings and id) or
     * the node queued ahead.
     */
    private record Fact(Waiter node, Object blocker, long id) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Fact f && f.node == node && f.blocker == blocker && f.id == id;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(node) * 31 + System.identityHashCode(blocker) + Long.hashCode(id);
        }
    }

    /** An edge of the graph; {@code hold} or {@code ahead} says what blocks. */
    private record Edge(HeldLocks from, HeldLocks.Wait waited, HeldLocks to, HeldLocks.Hold hold, Waiter ahead) {
        Fact fact() {
            return hold != null ? new Fact(waited.node(), hold.holder(), hold.id()) : new Fact(waited.node(), ahead, 0L);
        }

        Link toLink() {
            RawLock l = waited.lock();
            return hold != null
                    ? new Link(from.owner, l, l.modeName(waited.node().mode), to.owner, l.modeName(hold.kind()), false, hold.site())
                    : new Link(from.owner, l, l.modeName(waited.node().mode), to.owner, l.modeName(ahead.mode), true, null);
        }
    }

    /** One snapshot of the waits-for graph. */
    private static final class Graph {
        final List<HeldLocks> vertices = new ArrayList<>();
        final Map<HeldLocks, List<Edge>> edges = new IdentityHashMap<>();
        final Set<Fact> facts = new HashSet<>();

        static Graph snapshot() {
            Graph g = new Graph();
            List<HeldLocks> all = HeldLocks.all();
            Map<RawLock, List<HeldLocks.Hold>> holdsByLock = new IdentityHashMap<>();
            Map<Waiter, HeldLocks> ownerOfNode = new IdentityHashMap<>();
            Map<Thread, HeldLocks> ownerOfThread = new IdentityHashMap<>();
            Map<HeldLocks, List<HeldLocks.Wait>> waitsOf = new IdentityHashMap<>();
            for (HeldLocks h : all) {
                for (HeldLocks.Hold hold : h.holds()) {
                    holdsByLock.computeIfAbsent(hold.lock(), k -> new ArrayList<>()).add(hold);
                }
                List<HeldLocks.Wait> queued = new ArrayList<>();
                for (HeldLocks.Wait w : h.waits()) {
                    if (w.isQueued()) {
                        queued.add(w);
                        ownerOfNode.put(w.node(), h);
                    }
                }
                if (!queued.isEmpty()) {
                    waitsOf.put(h, queued);
                }
                if (h.owner instanceof Thread t) {
                    ownerOfThread.put(t, h);
                }
            }
            for (Map.Entry<HeldLocks, List<HeldLocks.Wait>> e : waitsOf.entrySet()) {
                HeldLocks from = e.getKey();
                for (HeldLocks.Wait w : e.getValue()) {
                    RawLock lock = w.lock();
                    int mode = w.node().mode;
                    for (HeldLocks.Hold hold : holdsByLock.getOrDefault(lock, List.of())) {
                        if (!lock.compatible(hold.kind(), mode)) {
                            g.add(new Edge(from, w, hold.holder(), hold, null));
                        }
                    }
                    for (Waiter ahead : lock.queuedAhead(w.node())) {
                        HeldLocks to = ownerOfNode.get(ahead);
                        if (to == null && ahead instanceof ThreadWaiter t) {
                            to = ownerOfThread.get(t.thread);
                        }
                        if (to != null && to != from && !lock.compatible(ahead.mode, mode)) {
                            g.add(new Edge(from, w, to, null, ahead));
                        }
                    }
                }
            }
            return g;
        }

        /**
         * Whether {@code cycle} goes through a waiter queued ahead only to reach what the waiter behind
         * it waits for directly: W behind X, then X to Y, where W has an edge to Y too. The cycle without
         * X is reported instead (behind a mutex's holder, every waiter also waits for the holder).
         */
        boolean shortcut(List<Edge> cycle) {
            for (int i = 0; i < cycle.size(); i++) {
                Edge e = cycle.get(i);
                if (e.ahead == null) {
                    continue;
                }
                HeldLocks next = cycle.get((i + 1) % cycle.size()).to;
                for (Edge direct : edges.getOrDefault(e.from, List.of())) {
                    if (direct.to == next) {
                        return true;
                    }
                }
            }
            return false;
        }

        void add(Edge e) {
            List<Edge> out = edges.get(e.from);
            if (out == null) {
                out = new ArrayList<>();
                edges.put(e.from, out);
                vertices.add(e.from);
            }
            out.add(e);
            facts.add(e.fact());
        }

        /**
         * The elementary cycles, each once (starting at its earliest vertex), at most
         * {@link #MAX_CYCLES}; one edge per pair of acquirers.
         */
        List<List<Edge>> cycles() {
            Map<HeldLocks, Integer> index = new IdentityHashMap<>();
            for (HeldLocks v : vertices) {
                index.put(v, index.size());
            }
            List<List<Edge>> found = new ArrayList<>();
            for (HeldLocks start : vertices) {
                search(start, index.get(start), start, new ArrayList<>(), Collections.newSetFromMap(new IdentityHashMap<>()),
                        index, found);
                if (found.size() >= MAX_CYCLES) {
                    break;
                }
            }
            return found;
        }

        private void search(HeldLocks start, int startIndex, HeldLocks at, List<Edge> path, Set<HeldLocks> onPath,
                            Map<HeldLocks, Integer> index, List<List<Edge>> found) {
            onPath.add(at);
            Map<HeldLocks, Edge> firstEdgeTo = new LinkedHashMap<>();
            for (Edge e : edges.getOrDefault(at, List.of())) {
                firstEdgeTo.putIfAbsent(e.to, e);
            }
            for (Edge e : firstEdgeTo.values()) {
                if (found.size() >= MAX_CYCLES) {
                    break;
                }
                Integer i = index.get(e.to);
                if (e.to == start) {
                    List<Edge> cycle = new ArrayList<>(path);
                    cycle.add(e);
                    found.add(cycle);
                } else if (i != null && i > startIndex && !onPath.contains(e.to)) {
                    path.add(e);
                    search(start, startIndex, e.to, path, onPath, index, found);
                    path.remove(path.size() - 1);
                }
            }
            onPath.remove(at);
        }
    }
}
