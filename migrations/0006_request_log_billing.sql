CREATE TABLE `job_marks` (
	`job` text NOT NULL,
	`slot` integer NOT NULL,
	PRIMARY KEY(`job`, `slot`)
);
--> statement-breakpoint
CREATE TABLE `log_drops` (
	`time` integer NOT NULL,
	`node_id` text NOT NULL,
	`dropped` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outage_reports` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`reported_at` integer NOT NULL,
	`description` text NOT NULL,
	`status` text NOT NULL,
	`restored_at` integer,
	`decided_at` integer,
	`note` text
);
--> statement-breakpoint
CREATE TABLE `probe_beats` (
	`node_id` text NOT NULL,
	`time` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `probe_beats_time` ON `probe_beats` (`time`);--> statement-breakpoint
CREATE TABLE `probe_slots` (
	`slot` integer PRIMARY KEY NOT NULL,
	`down_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `request_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`time` integer NOT NULL,
	`request_id` text NOT NULL,
	`node_id` text NOT NULL,
	`account_id` text,
	`bucket` text,
	`key` text,
	`operation` text NOT NULL,
	`status` integer NOT NULL,
	`error_code` text,
	`bytes_in` integer NOT NULL,
	`bytes_out` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`auth` text NOT NULL,
	`key_id` text,
	`client_ip` text,
	`user_agent` text,
	`storage_class` text
);
--> statement-breakpoint
CREATE INDEX `request_log_time` ON `request_log` (`time`);--> statement-breakpoint
CREATE INDEX `request_log_account_time` ON `request_log` (`account_id`,`time`);--> statement-breakpoint
CREATE TABLE `sla_exclusions` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sla_intervals` (
	`slot` integer NOT NULL,
	`account_id` text NOT NULL,
	`requests` integer NOT NULL,
	`errors` integer NOT NULL,
	PRIMARY KEY(`slot`, `account_id`)
);
--> statement-breakpoint
CREATE TABLE `trials` (
	`customer_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`status` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `usage_hourly` (
	`hour` integer NOT NULL,
	`account_id` text NOT NULL,
	`bucket` text NOT NULL,
	`storage_class` text NOT NULL,
	`byte_seconds` integer DEFAULT 0 NOT NULL,
	`bytes_in` integer DEFAULT 0 NOT NULL,
	`bytes_out` integer DEFAULT 0 NOT NULL,
	`class_a` integer DEFAULT 0 NOT NULL,
	`class_b` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`hour`, `account_id`, `bucket`)
);
--> statement-breakpoint
CREATE INDEX `usage_hourly_account` ON `usage_hourly` (`account_id`,`hour`);--> statement-breakpoint
ALTER TABLE `accounts` ADD `customer_id` text;--> statement-breakpoint
ALTER TABLE `accounts` ADD `deleted_at` integer;