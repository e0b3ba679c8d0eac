CREATE TABLE `probe_gaps` (
	`from_ms` integer PRIMARY KEY NOT NULL,
	`to_ms` integer NOT NULL
);
--> statement-breakpoint
-- where in its slot a gap lay was not kept: put it at the slot's start
INSERT INTO `probe_gaps` (`from_ms`, `to_ms`) SELECT `slot`, `slot` + `down_ms` FROM `probe_slots` WHERE `down_ms` > 0;--> statement-breakpoint
DROP TABLE `probe_slots`;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_usage_hourly` (
	`hour` integer NOT NULL,
	`account_id` text NOT NULL,
	`bucket` text NOT NULL,
	`storage_class` text NOT NULL,
	`in_trial` integer DEFAULT 0 NOT NULL,
	`byte_seconds` integer DEFAULT 0 NOT NULL,
	`bytes_in` integer DEFAULT 0 NOT NULL,
	`bytes_out` integer DEFAULT 0 NOT NULL,
	`class_a` integer DEFAULT 0 NOT NULL,
	`class_b` integer DEFAULT 0 NOT NULL,
	`retrieval_bytes` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`hour`, `account_id`, `bucket`, `storage_class`, `in_trial`)
);
--> statement-breakpoint
-- hours rolled up before: in the trial as the invoice used to count them (the hour it starts in, and
-- every hour starting before it ends), so what was shown as free stays free
INSERT INTO `__new_usage_hourly`("hour", "account_id", "bucket", "storage_class", "in_trial", "byte_seconds", "bytes_in", "bytes_out", "class_a", "class_b", "retrieval_bytes")
SELECT u."hour", u."account_id", u."bucket", u."storage_class",
	CASE WHEN EXISTS (
		SELECT 1 FROM `accounts` a JOIN `trials` t ON t.`customer_id` = a.`customer_id` AND t.`account_id` = a.`id`
		WHERE a.`id` = u.`account_id` AND t.`status` = 'granted'
			AND u.`hour` >= t.`starts_at` / 3600000 * 3600000 AND u.`hour` < t.`ends_at`
	) THEN 1 ELSE 0 END,
	u."byte_seconds", u."bytes_in", u."bytes_out", u."class_a", u."class_b", u."retrieval_bytes"
FROM `usage_hourly` u;--> statement-breakpoint
DROP TABLE `usage_hourly`;--> statement-breakpoint
ALTER TABLE `__new_usage_hourly` RENAME TO `usage_hourly`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `usage_hourly_account` ON `usage_hourly` (`account_id`,`hour`);
