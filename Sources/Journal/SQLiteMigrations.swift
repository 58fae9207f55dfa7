import GRDB

/// The SQLite journal's schema, one migration per step; existing files migrate when opened.
enum SQLiteMigrations {
    /// Every migration, oldest first.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: transfers") { db in
            try db.create(table: "transfer") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("direction", .text).notNull()
                table.column("orderId", .text).notNull()
                table.column("orderNumber", .text).notNull()
                table.column("idempotencyKey", .text).notNull().unique()
                table.column("payload", .text).notNull()
                table.column("state", .text).notNull()
                table.column("attempts", .integer).notNull().defaults(to: 0)
                table.column("lastError", .text)
                table.column("lastStatus", .integer)
                table.column("remoteId", .text)
                table.column("createdAt", .datetime).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
            try db.create(index: "transfer_state", on: "transfer", columns: ["state", "direction"])
            try db.create(index: "transfer_order", on: "transfer", columns: ["orderNumber"])
        }
        migrator.registerMigration("v2: inbound events and cursors") { db in
            try db.alter(table: "transfer") { table in
                table.add(column: "sequence", .integer)
                table.add(column: "conflicts", .integer).notNull().defaults(to: 0)
            }
            try db.create(index: "transfer_inbound", on: "transfer", columns: ["direction", "sequence"])
            try db.create(table: "cursor") { table in
                table.primaryKey("name", .text)
                table.column("value", .text).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v3: returned versions") { db in
            try db.alter(table: "transfer") { table in table.add(column: "returnedAt", .datetime) }
        }
        migrator.registerMigration("v4: retries, leases, attempts, checkpoints") { db in
            try db.alter(table: "transfer") { table in
                table.add(column: "nextAttemptAt", .datetime)
                table.add(column: "leaseOwner", .text)
                table.add(column: "leaseUntil", .datetime)
            }
            try db.create(table: "attempt") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("transferId", .integer).notNull().indexed().references("transfer", onDelete: .cascade)
                table.column("number", .integer).notNull()
                table.column("startedAt", .datetime).notNull()
                table.column("durationMs", .integer).notNull()
                table.column("status", .integer)
                table.column("outcome", .text).notNull()
                table.column("excerpt", .text)
            }
            try db.create(table: "checkpoint") { table in
                table.primaryKey("name", .text)
                table.column("at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v5: order and remote id indexes") { db in
            try db.create(index: "transfer_order_id", on: "transfer", columns: ["orderId"])
            try db.create(index: "transfer_remote_id", on: "transfer", columns: ["remoteId"])
        }
        migrator.registerMigration("v6: retryable failures are never dead by count") { db in
            // Before v6 a transfer was dead after a number of retryable failures or conflicts; now only
            // a permanent failure or age makes it dead. Those given up by count are due again, with a
            // give-up horizon that starts now.
            try db.alter(table: "transfer") { table in table.add(column: "horizonStart", .datetime) }
            try db.execute(
                sql: """
                    UPDATE transfer SET state = 'failed', nextAttemptAt = NULL,
                        horizonStart = strftime('%Y-%m-%d %H:%M:%f', 'now')
                    WHERE state = 'dead' AND returnedAt IS NULL AND id IN (
                        SELECT last.transferId FROM attempt AS last
                        WHERE last.number = (SELECT MAX(number) FROM attempt WHERE transferId = last.transferId)
                          AND (last.outcome LIKE 'retryable%' OR last.outcome LIKE 'conflict%'))
                    """)
        }
        migrator.registerMigration("v7: peer outages") { db in
            try db.create(table: "peer") { table in
                table.primaryKey("name", .text)
                table.column("failingSince", .datetime).notNull()
                table.column("failures", .integer).notNull()
                table.column("lastError", .text).notNull()
            }
        }
        migrator.registerMigration("v8: outcome tallies") { db in
            try db.create(table: "tally") { table in
                table.column("direction", .text).notNull()
                table.column("outcome", .text).notNull()
                table.column("count", .integer).notNull()
                table.primaryKey(["direction", "outcome"])
            }
            // What the journal still holds: done and dead transfers, and the attempts that failed before
            // their transfer settled (done transfers pruned before v8 are not counted).
            try db.execute(
                sql: """
                    INSERT INTO tally (direction, outcome, count)
                    SELECT direction, CASE state WHEN 'done' THEN 'delivered' ELSE 'dead' END, COUNT(*) FROM transfer
                    WHERE state IN ('done', 'dead') GROUP BY direction, state;
                    INSERT INTO tally (direction, outcome, count)
                    SELECT transfer.direction, 'failed', COUNT(*) FROM attempt JOIN transfer ON transfer.id = attempt.transferId
                    WHERE NOT (attempt.number = transfer.attempts AND transfer.state IN ('done', 'dead'))
                    GROUP BY transfer.direction;
                    """)
        }
        migrator.registerMigration("v9: fencing tokens, leases and hosts") { db in
            try db.alter(table: "transfer") { table in table.add(column: "fence", .integer).notNull().defaults(to: 0) }
            try db.alter(table: "attempt") { table in
                table.add(column: "owner", .text)
                table.add(column: "fence", .integer)
            }
            try db.create(table: "lease") { table in
                table.primaryKey("name", .text)
                table.column("owner", .text).notNull()
                table.column("until", .datetime).notNull()
                table.column("fence", .integer).notNull()
            }
            try db.create(table: "host") { table in
                table.primaryKey("owner", .text)
                table.column("version", .text).notNull()
                table.column("startedAt", .datetime).notNull()
                table.column("seenAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v10: back offices without idempotency keys: creates sent, webhook receipts") { db in
            try db.alter(table: "transfer") { table in table.add(column: "createSentAt", .datetime) }
            try db.create(table: "receipt") { table in
                table.primaryKey("id", .text)
                table.column("receivedAt", .datetime).notNull().indexed()
            }
        }
        return migrator
    }
}
