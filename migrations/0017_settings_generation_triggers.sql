-- The settings generation moves with every change to a row the settings caches hold (core/freshness.ts):
-- a process that reads it before serving drops its caches when it moved, so a change made by any
-- process or node is seen by the next request everywhere. Bucket rows move only on their settings:
-- object_count and byte_count change with every write and are no cache's business.
INSERT INTO `settings_generation` (`id`, `gen`) VALUES (1, 0);
--> statement-breakpoint
CREATE TRIGGER `accounts_gen_insert` AFTER INSERT ON `accounts` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `accounts_gen_update` AFTER UPDATE ON `accounts` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `accounts_gen_delete` AFTER DELETE ON `accounts` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `credentials_gen_insert` AFTER INSERT ON `credentials` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `credentials_gen_update` AFTER UPDATE ON `credentials` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `credentials_gen_delete` AFTER DELETE ON `credentials` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `access_keys_gen_insert` AFTER INSERT ON `access_keys` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `access_keys_gen_update` AFTER UPDATE ON `access_keys` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `access_keys_gen_delete` AFTER DELETE ON `access_keys` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `signing_keys_gen_insert` AFTER INSERT ON `signing_keys` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `signing_keys_gen_update` AFTER UPDATE ON `signing_keys` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `signing_keys_gen_delete` AFTER DELETE ON `signing_keys` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `quotas_gen_insert` AFTER INSERT ON `quotas` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `quotas_gen_update` AFTER UPDATE ON `quotas` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `quotas_gen_delete` AFTER DELETE ON `quotas` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `domains_gen_insert` AFTER INSERT ON `domains` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `domains_gen_update` AFTER UPDATE ON `domains` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `domains_gen_delete` AFTER DELETE ON `domains` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `certificates_gen_insert` AFTER INSERT ON `certificates` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `certificates_gen_update` AFTER UPDATE ON `certificates` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `certificates_gen_delete` AFTER DELETE ON `certificates` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `buckets_gen_insert` AFTER INSERT ON `buckets` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `buckets_gen_update` AFTER UPDATE OF
  `name`, `account_id`, `storage_class`, `access_type`, `public_list`, `default_cache_control`, `cors`,
  `website`
ON `buckets` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `buckets_gen_delete` AFTER DELETE ON `buckets` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `account_suspensions_gen_insert` AFTER INSERT ON `account_suspensions` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `account_suspensions_gen_update` AFTER UPDATE ON `account_suspensions` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `account_suspensions_gen_delete` AFTER DELETE ON `account_suspensions` BEGIN
  UPDATE `settings_generation` SET `gen` = `gen` + 1 WHERE `id` = 1;
END;
