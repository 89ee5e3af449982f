const mirror = (name) => Promise.reject(new Error(`mirror ${name} timed out`));
await Promise.any([mirror('eu-1'), mirror('us-2')]);
