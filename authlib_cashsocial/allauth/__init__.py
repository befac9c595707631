"""django-allauth provider ``cashsocial``: "Log in with Cash Social Network"
(any Sngine site) for sites that log in through django-allauth.

Add ``"authlib_cashsocial.allauth"`` to ``INSTALLED_APPS`` (after allauth's
own apps) and configure the app in ``SOCIALACCOUNT_PROVIDERS["cashsocial"]``
or a ``SocialApp`` row; see the docs' *django-allauth* page. Importing
``authlib_cashsocial`` never imports this package.
"""
