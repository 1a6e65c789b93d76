/** The engine seam: offline start of DJL's PyTorch engine, threads, devices, grad mode. Only this package calls engine-specific APIs. */
package io.dydet.engine;
