"""Privacy (LGPDPPSO): the aviso de privacidad, the person's export and ARCO requests."""
