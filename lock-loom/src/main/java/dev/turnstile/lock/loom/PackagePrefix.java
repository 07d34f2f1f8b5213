package dev.turnstile.lock.loom;

/** Matching of class names against package prefixes, shared by the recorder's filters. */
final class PackagePrefix {
    private PackagePrefix() {
    }

    /** The prefix without a trailing dot; rejects blank prefixes, which would match everything by accident. */
    static String normalize(String packagePrefix) {
        if (packagePrefix == null || packagePrefix.isBlank()) {
            throw new IllegalArgumentException("package prefix must not be blank: " + packagePrefix);
        }
        String trimmed = packagePrefix.strip();
        return trimmed.endsWith(".") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
    }

    /** Whether {@code className} lies in the package {@code prefix} (normalized) or below it. */
    static boolean contains(String prefix, String className) {
        return className.startsWith(prefix)
                && className.length() > prefix.length()
                && className.charAt(prefix.length()) == '.';
    }
}
