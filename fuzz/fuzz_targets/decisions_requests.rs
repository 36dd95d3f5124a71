#![no_main]

samverkan_fuzz::fuzz_service!(decisions);
