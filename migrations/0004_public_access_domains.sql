CREATE TABLE `certificates` (
	`hostname` text PRIMARY KEY NOT NULL,
	`certificate_pem` text NOT NULL,
	`key_sealed` text NOT NULL,
	`not_before` integer NOT NULL,
	`not_after` integer NOT NULL,
	`subject` text NOT NULL,
	`fingerprint` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `domains` (
	`hostname` text PRIMARY KEY NOT NULL,
	`bucket_id` text NOT NULL,
	`token` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`verified_at` integer
);
--> statement-breakpoint
CREATE INDEX `domains_bucket` ON `domains` (`bucket_id`);--> statement-breakpoint
ALTER TABLE `buckets` ADD `public_list` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `buckets` ADD `default_cache_control` text;--> statement-breakpoint
ALTER TABLE `buckets` ADD `cors` text;--> statement-breakpoint
ALTER TABLE `buckets` ADD `website` text;