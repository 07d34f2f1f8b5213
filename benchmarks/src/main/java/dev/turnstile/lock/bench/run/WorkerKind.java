package dev.turnstile.lock.bench.run;

/** Who performs a lockbench workload. */
public enum WorkerKind {
    /** One platform thread per worker. */
    PLATFORM("platform"),
    /** One virtual thread per worker, on the default scheduler. */
    VIRTUAL("virtual"),
    /** Tasks on a fixed pool that acquire through futures and never block. */
    ASYNC("async");

    private final String label;

    WorkerKind(String label) {
        this.label = label;
    }

    /** The name used on the command line and in reports. */
    public String label() {
        return label;
    }

    /** The kind called {@code label}. */
    public static WorkerKind of(String label) {
        for (WorkerKind k : values()) {
            if (k.label.equals(label)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown worker kind '" + label + "' (platform, virtual)");
    }
}
