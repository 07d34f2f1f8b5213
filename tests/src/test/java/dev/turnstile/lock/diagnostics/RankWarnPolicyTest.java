package dev.turnstile.lock.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.LockOrderViolationException;
import dev.turnstile.lock.LockRanks;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The warn policy of {@link LockRanks}: an out-of-order acquisition goes ahead, and is logged through
 * {@code System.Logger} (here backed by java.util.logging) once per pair of locks, with the stack trace.
 */
class RankWarnPolicyTest {
    @AfterEach
    void restore() {
        LockRanks.setPolicy(LockRanks.Policy.THROW);
    }

    @Test
    void anOutOfOrderAcquisitionGoesAheadAndIsLoggedOncePerPair() {
        Mutex<String> accounts = Mutex.builder().name("warn-accounts").rank(1).build("a");
        Mutex<String> ledger = Mutex.builder().name("warn-ledger").rank(2).build("l");
        Mutex<String> audit = Mutex.builder().name("warn-audit").rank(3).build("x");
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Logger log = Logger.getLogger("dev.turnstile.lock");
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getMessage() != null && r.getMessage().contains("Mutex[warn-")) {
                    records.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(handler);
        LockRanks.setPolicy(LockRanks.Policy.WARN);
        try {
            for (int i = 0; i < 3; i++) {
                try (MutexGuard<String> l = ledger.lock(); MutexGuard<String> a = accounts.lock()) {
                    assertTrue(a.isHeld(), "acquired despite the order");
                }
                try (MutexGuard<String> x = audit.lock(); MutexGuard<String> a = accounts.lock()) {
                    assertTrue(a.isHeld());
                }
            }
        } finally {
            log.removeHandler(handler);
        }
        assertEquals(2, records.size(), "once per pair of locks: " + records.stream().map(LogRecord::getMessage).toList());
        assertInstanceOf(LockOrderViolationException.class, records.get(0).getThrown());
        assertTrue(records.get(0).getMessage().contains("Mutex[warn-ledger]"), records.get(0).getMessage());
    }
}
