"""The Departamento de Informática's step: account provisioning through the directory
adapter, link reviews, the /informatica pages and the reply oficio."""
