#pragma once

// Flushes logs in the background.
void StartFlusher();
void RunFlusherOnce();
