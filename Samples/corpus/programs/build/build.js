console.log('built 12 files in 1.4s')
