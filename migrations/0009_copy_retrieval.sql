ALTER TABLE `request_log` ADD `retrieval_bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_hourly` ADD `retrieval_bytes` integer DEFAULT 0 NOT NULL;