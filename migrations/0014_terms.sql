CREATE TABLE `account_suspensions` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer,
	`reason` text NOT NULL,
	`keep_reads` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `account_suspensions_account` ON `account_suspensions` (`account_id`,`starts_at`);--> statement-breakpoint
CREATE TABLE `data_incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`bucket` text NOT NULL,
	`key` text NOT NULL,
	`chunk_hash` text NOT NULL,
	`damage` text NOT NULL,
	`detected_at` integer NOT NULL,
	`claim` text NOT NULL,
	`claimed_at` integer,
	`claim_text` text,
	`decided_at` integer,
	`note` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `data_incidents_hit` ON `data_incidents` (`account_id`,`bucket`,`key`,`chunk_hash`);--> statement-breakpoint
CREATE INDEX `data_incidents_account` ON `data_incidents` (`account_id`,`detected_at`);--> statement-breakpoint
CREATE TABLE `quota_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`requested` text NOT NULL,
	`reason` text NOT NULL,
	`status` text NOT NULL,
	`granted` text,
	`note` text,
	`created_at` integer NOT NULL,
	`decided_at` integer
);
--> statement-breakpoint
CREATE INDEX `quota_requests_account` ON `quota_requests` (`account_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `support_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`channel` text NOT NULL,
	`subject` text NOT NULL,
	`body` text NOT NULL,
	`received_at` integer NOT NULL,
	`recorded_at` integer NOT NULL,
	`first_response_at` integer,
	`first_response` text,
	`resolved_at` integer,
	`resolution` text,
	`outage_id` text
);
--> statement-breakpoint
CREATE INDEX `support_requests_account` ON `support_requests` (`account_id`,`received_at`);--> statement-breakpoint
CREATE TABLE `terms_settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `sla_exclusions` ADD `account_id` text;--> statement-breakpoint
ALTER TABLE `trials` ADD `free_up_to` integer;