console.log('WakeLink-XS relay: not built yet (see issue "Relay").');
