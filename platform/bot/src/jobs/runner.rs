//! Runs the queued jobs in order, a few at a time.

use std::sync::{Arc, Weak};

use tokio::sync::{Semaphore, mpsc};

use crate::Bot;
use crate::ids::JobId;

/// Starts the runner: each queued id is run once a slot is free, in the order queued. It stops
/// when the bot is dropped.
pub(crate) fn spawn(bot: Weak<Bot>, mut queue: mpsc::UnboundedReceiver<JobId>, concurrency: usize) {
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    tokio::spawn(async move {
        while let Some(id) = queue.recv().await {
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                return;
            };
            let Some(bot) = bot.upgrade() else {
                return;
            };
            tokio::spawn(async move {
                super::execute::run(&bot, &id).await;
                drop(slot);
            });
        }
    });
}
