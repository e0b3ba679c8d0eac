CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `buckets` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`account_id` text NOT NULL,
	`storage_class` text NOT NULL,
	`access_type` text DEFAULT 'private' NOT NULL,
	`created_at` integer NOT NULL,
	`object_count` integer DEFAULT 0 NOT NULL,
	`byte_count` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `buckets_name` ON `buckets` (`name`);--> statement-breakpoint
CREATE INDEX `buckets_account` ON `buckets` (`account_id`);--> statement-breakpoint
CREATE TABLE `chunk_refs` (
	`owner` text NOT NULL,
	`idx` integer NOT NULL,
	`offset` integer NOT NULL,
	`size` integer NOT NULL,
	`hash` text NOT NULL,
	PRIMARY KEY(`owner`, `idx`)
);
--> statement-breakpoint
CREATE INDEX `chunk_refs_hash` ON `chunk_refs` (`hash`);--> statement-breakpoint
CREATE TABLE `chunks` (
	`hash` text PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`refcount` integer DEFAULT 0 NOT NULL,
	`zero_since` integer,
	`gc_lease` integer
);
--> statement-breakpoint
CREATE INDEX `chunks_zero` ON `chunks` (`zero_since`) WHERE refcount = 0;--> statement-breakpoint
CREATE TABLE `credentials` (
	`access_key_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`secret_sealed` text NOT NULL,
	`kind` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `credentials_account` ON `credentials` (`account_id`);--> statement-breakpoint
CREATE TABLE `guards` (
	`reason` text,
	CONSTRAINT "guards_never_hold_a_row" CHECK("guards"."reason" IS NULL)
);
--> statement-breakpoint
CREATE TABLE `nodes` (
	`id` text PRIMARY KEY NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `objects` (
	`id` text PRIMARY KEY NOT NULL,
	`bucket_id` text NOT NULL,
	`key` text NOT NULL,
	`size` integer NOT NULL,
	`etag` text NOT NULL,
	`last_modified` integer NOT NULL,
	`content_type` text,
	`cache_control` text,
	`content_disposition` text,
	`content_encoding` text,
	`content_language` text,
	`expires` text,
	`user_meta` text DEFAULT '{}' NOT NULL,
	`checksum_algorithm` text,
	`checksum_value` text,
	`checksum_type` text,
	`parts_count` integer,
	`inline_data` blob
);
--> statement-breakpoint
CREATE UNIQUE INDEX `objects_bucket_key` ON `objects` (`bucket_id`,`key`);--> statement-breakpoint
CREATE TABLE `stagings` (
	`id` text PRIMARY KEY NOT NULL,
	`node_id` text NOT NULL,
	`started_at` integer NOT NULL
);
